// control_channel.cpp - requests waiting for a connection, answers waiting for the viewer.
#include "viewer/net/control_channel.hpp"

namespace camstream {

void ControlChannel::push_locked(std::vector<std::uint8_t> message, bool is_set) {
  outgoing_.push_back(std::move(message));
  if (is_set) ++waiting_sets_;
  if (wake_) wake_();
}

void ControlChannel::set(const nlohmann::json& values, bool persist) {
  std::string text = values.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard lock(mutex_);
  if (text.size() > proto::kMaxJsonBytes) {
    ControlEvent e;
    e.kind = ControlEvent::Kind::kResult;
    e.json = {{"applied", nlohmann::json::object()},
              {"refused",
               {{"(request)", "the request is " + std::to_string(text.size()) +
                                  " bytes of JSON, over the protocol's bound of " +
                                  std::to_string(proto::kMaxJsonBytes) +
                                  "; set fewer controls at once"}}}};
    events_.push_back(std::move(e));
    return;
  }
  push_locked(proto::encode(proto::SetControls{persist, text}), true);
}

void ControlChannel::request_still() {
  const auto bytes = proto::encode_empty(proto::MessageType::kRequestStill);
  std::lock_guard lock(mutex_);
  push_locked(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), false);
}

std::vector<ControlEvent> ControlChannel::take_events() {
  std::lock_guard lock(mutex_);
  std::vector<ControlEvent> out;
  out.swap(events_);
  return out;
}

std::size_t ControlChannel::unanswered() const {
  std::lock_guard lock(mutex_);
  return waiting_sets_ + sent_sets_;
}

void ControlChannel::attach(std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  wake_ = std::move(wake);
  sent_sets_ = 0;
}

void ControlChannel::detach() {
  std::lock_guard lock(mutex_);
  wake_ = nullptr;
  // Sets sent without an answer: the connection ended before the daemon replied.
  for (; sent_sets_ > 0; --sent_sets_) {
    ControlEvent e;
    e.kind = ControlEvent::Kind::kResult;
    e.json = {{"applied", nlohmann::json::object()},
              {"refused",
               {{"(request)",
                 "the connection ended before camstreamd answered, so the change may or may "
                 "not have been made; check the overlay or GET /controls"}}}};
    events_.push_back(std::move(e));
  }
}

std::vector<std::vector<std::uint8_t>> ControlChannel::take_outgoing() {
  std::lock_guard lock(mutex_);
  std::vector<std::vector<std::uint8_t>> out(std::make_move_iterator(outgoing_.begin()),
                                             std::make_move_iterator(outgoing_.end()));
  outgoing_.clear();
  sent_sets_ += waiting_sets_;
  waiting_sets_ = 0;
  return out;
}

void ControlChannel::post(ControlEvent event) {
  std::lock_guard lock(mutex_);
  if (event.kind == ControlEvent::Kind::kResult && sent_sets_ > 0) --sent_sets_;
  events_.push_back(std::move(event));
}

}  // namespace camstream
