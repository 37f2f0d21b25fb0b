// show_access.hpp - camstreamd --show-access: the addresses to give each kind of client.
#pragma once

#include <string>
#include <vector>

#include "device/serve/access.hpp"
#include "device/serve/tls.hpp"
#include "shared/address.hpp"

namespace camstream {

// Names under which clients may reach a daemon listening on `listen`: the address itself when
// it is a specific one, else this machine's host name (and NAME.local) and its IPv4
// addresses other than loopback.
std::vector<std::string> reachable_names(const HostPort& listen);

// The text --show-access prints: for each name, the URLs for a browser, for MJPEG players
// (VLC, ffmpeg, Home Assistant, OctoPrint) and the camview command, with a token in them
// (a view token when there is one, since those URLs get copied around), and which Basic users
// exist (never their passwords). With `tls` (the daemon's certificate), the URLs are https://
// and camstreams:// with the fingerprint to pin, and the clear ones are named once.
std::string access_text(const HostPort& listen, const Credentials& credentials,
                        const std::vector<std::string>& names, const TlsIdentity* tls = nullptr);

}  // namespace camstream
