// connect.hpp - picks camview's connection for what the user named: camstreamd or an HTTP URL.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "shared/address.hpp"
#include "viewer/net/control_channel.hpp"
#include "viewer/net/frame_mailbox.hpp"
#include "viewer/net/http_url.hpp"
#include "viewer/net/stream_link.hpp"

namespace camstream {

// An HttpViewerConnection when `url` is given, else a NativeViewerConnection to `target`,
// not started yet; either inside TLS when `tls` is given. `token` (may be empty) is proved in
// the native handshake, or sent as a Bearer token over HTTP. `controls`: the native
// connection's control channel (HTTP connections take none). `mailbox` and whatever `notify`
// calls must outlive it.
std::unique_ptr<StreamLink> make_connection(
    const HostPort& target, const std::optional<HttpUrl>& url, const std::string& token,
    FrameMailbox& mailbox, std::function<void()> notify, ConnectionLimits limits = {},
    std::shared_ptr<TlsClient> tls = nullptr, std::shared_ptr<ControlChannel> controls = nullptr);

// The same, as a Feed makes one per attempt: each into the mailbox it is given.
std::function<std::unique_ptr<StreamLink>(FrameMailbox&)> link_maker(
    const HostPort& target, const std::optional<HttpUrl>& url, const std::string& token,
    std::function<void()> notify, ConnectionLimits limits = {},
    std::shared_ptr<TlsClient> tls = nullptr, std::shared_ptr<ControlChannel> controls = nullptr);

}  // namespace camstream
