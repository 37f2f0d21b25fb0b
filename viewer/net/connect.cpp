// connect.cpp - the one place that knows both kinds of connection.
#include "viewer/net/connect.hpp"

#include "viewer/net/http_connection.hpp"
#include "viewer/net/native_connection.hpp"

namespace camstream {

std::unique_ptr<StreamLink> make_connection(const HostPort& target,
                                            const std::optional<HttpUrl>& url,
                                            const std::string& token, FrameMailbox& mailbox,
                                            std::function<void()> notify, ConnectionLimits limits,
                                            std::shared_ptr<TlsClient> tls,
                                            std::shared_ptr<ControlChannel> controls) {
  if (url) {
    return std::make_unique<HttpViewerConnection>(*url, mailbox, std::move(notify), limits, token,
                                                  std::move(tls));
  }
  return std::make_unique<NativeViewerConnection>(target, mailbox, std::move(notify), limits, token,
                                                  std::move(tls), std::move(controls));
}

std::function<std::unique_ptr<StreamLink>(FrameMailbox&)> link_maker(
    const HostPort& target, const std::optional<HttpUrl>& url, const std::string& token,
    std::function<void()> notify, ConnectionLimits limits, std::shared_ptr<TlsClient> tls,
    std::shared_ptr<ControlChannel> controls) {
  return [=](FrameMailbox& mailbox) {
    return make_connection(target, url, token, mailbox, notify, limits, tls, controls);
  };
}

}  // namespace camstream
