// show_access.cpp - the URLs to paste into a browser, Home Assistant and camview.
#include "device/show_access.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

namespace camstream {
namespace {

std::string percent_encode(const std::string& s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", u);
      out += buf;
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> reachable_names(const HostPort& listen) {
  if (listen.host != "0.0.0.0" && listen.host != "::" && !listen.host.empty()) return {listen.host};
  std::vector<std::string> names;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') {
    names.emplace_back(host);
    if (std::string(host).find('.') == std::string::npos)
      names.push_back(std::string(host) + ".local");
  }
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (const ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
      if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
      sockaddr_in in{};
      std::copy_n(reinterpret_cast<const unsigned char*>(a->ifa_addr), sizeof in,
                  reinterpret_cast<unsigned char*>(&in));
      char text[INET_ADDRSTRLEN] = {};
      if (inet_ntop(AF_INET, &in.sin_addr, text, sizeof text) == nullptr) continue;
      const std::string address(text);
      if (!is_loopback(address) && std::find(names.begin(), names.end(), address) == names.end()) {
        names.push_back(address);
      }
    }
    freeifaddrs(list);
  }
  if (names.empty()) names.emplace_back("localhost");
  return names;
}

std::string access_text(const HostPort& listen, const Credentials& credentials,
                        const std::vector<std::string>& names, const TlsIdentity* tls) {
  std::string out;
  const bool open = credentials.empty();
  // Viewers get a view token where there is one: these URLs end up in dashboards and notes.
  const std::string token = !credentials.view_tokens.empty()      ? credentials.view_tokens[0]
                            : !credentials.control_tokens.empty() ? credentials.control_tokens[0]
                                                                  : std::string();
  const std::string q = token.empty() ? "" : "?token=" + percent_encode(token);
  if (open) {
    out += "camstreamd needs no credentials: anyone who reaches port " +
           std::to_string(listen.port) + " may watch and steer the camera.\n";
  } else {
    out += "camstreamd needs credentials: " + std::to_string(credentials.control_tokens.size()) +
           " control token(s), " + std::to_string(credentials.view_tokens.size()) +
           " view token(s), " + std::to_string(credentials.users.size()) + " user(s).\n";
    if (!token.empty()) {
      out += std::string("The addresses below carry a ") +
             (credentials.view_tokens.empty() ? "control" : "view") +
             " token; treat them like a password.\n";
    }
  }
  if (tls) {
    out += "TLS is on: the certificate's SHA-256 fingerprint is " + tls->fingerprint +
           "\n(a browser shows it when it warns about the self-signed certificate; camview --pin "
           "takes it, curl --pinnedpubkey sha256//" +
           tls->public_key_pin + "). The same port also answers http:// and camview without TLS.\n";
  }
  for (const std::string& name : names) {
    const std::string where = to_string(HostPort{name, listen.port});
    const std::string base = (tls ? "https://" : "http://") + where;
    out += "\n" + name + ":\n";
    if (open || !token.empty()) {
      out += "  browser:   " + base + "/" + q + "\n";
      out += "  stream:    " + base + "/stream" + q +
             "   (VLC, ffmpeg, Home Assistant's MJPEG camera, OctoPrint)\n";
      out += "  snapshot:  " + base + "/snapshot" + q + "\n";
      out += "  camview:   camview " + (token.empty() ? "" : "--token " + token + " ") +
             (tls ? "--pin " + tls->fingerprint + " camstreams://" + where : where) + "\n";
    } else {
      out += "  browser:   " + base + "/   (it asks for a user name and password)\n";
    }
  }
  if (!credentials.users.empty()) {
    out +=
        "\nHTTP Basic users (browsers ask; Home Assistant and ffmpeg take http://USER:PASSWORD@"
        "...):";
    for (const Credentials::User& u : credentials.users)
      out += " " + u.name + (u.role == Role::kControl ? " (control)" : " (view)");
    out += "\n";
  }
  return out;
}

}  // namespace camstream
