// http_pages.hpp - the figures as HTTP pages: /status (JSON), /metrics (Prometheus) and /.
#pragma once

#include <string>

#include "device/figures.hpp"

namespace camstream {

// /status: one JSON object (documented in docs/http.md).
std::string status_json(const Figures& f);
// /metrics: Prometheus text exposition format 0.0.4.
std::string metrics_text(const Figures& f);
// /: the viewer page; it shows /stream and polls /status for its figures.
std::string index_html(const Figures& f);

}  // namespace camstream
