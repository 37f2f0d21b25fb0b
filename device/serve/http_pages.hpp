// http_pages.hpp - the figures as HTTP pages: /status (JSON), /metrics (Prometheus) and /.
#pragma once

#include <string>
#include <string_view>

#include "device/figures.hpp"

namespace camstream {

// /status: one JSON object (documented in docs/http.md). Clients' addresses only with
// `show_peers` (the control role).
std::string status_json(const Figures& f, bool show_peers = true);
// /metrics: Prometheus text exposition format 0.0.4.
std::string metrics_text(const Figures& f);
// /: the viewer page; it shows /stream, polls /status for its figures and draws the controls
// from GET /controls (changes go to POST /controls). `token_query` ("token=..." as the request
// sent it, or empty) is added to those addresses.
std::string index_html(const Figures& f, std::string_view token_query = {});

}  // namespace camstream
