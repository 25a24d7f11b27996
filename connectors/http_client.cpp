#include "connectors/http_client.hpp"

#include <atomic>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <exception>
#include <vector>

#include "connectors/url.hpp"

namespace regscan {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

void cancellable_sleep(std::chrono::milliseconds d, const std::atomic<bool>* cancel) {
  auto until = std::chrono::steady_clock::now() + d;
  while (!(cancel && *cancel)) {
    auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero())
      return;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
      left, std::chrono::milliseconds(50)));
  }
}

errc status_code(int status) {
  if (status == 401)
    return errc::unauthorized;
  if (status == 403)
    return errc::forbidden;
  if (status == 404)
    return errc::not_found;
  if (status == 408 || status == 429 || status >= 500)
    return errc::transport;
  return errc::invalid;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z')
      x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z')
      y = static_cast<char>(y - 'A' + 'a');
    if (x != y)
      return false;
  }
  return true;
}

std::string http_response::header(std::string_view name) const {
  for (auto& [k, v] : headers)
    if (iequals(k, name))
      return v;
  return {};
}

struct http_client::impl {
  std::unique_ptr<ssl::context> ctx;
  std::string ctx_error;
};

namespace {

constexpr size_t chunk_size = 64 * 1024;
constexpr size_t error_body_limit = 64 * 1024;

// Runs one async operation to completion. Beast's stream timeouts only
// apply to async operations, hence async + run_one instead of sync calls.
template <class Start>
error_code run_op(asio::io_context& ioc, const std::atomic<bool>* cancel, Start&& start) {
  // Shared with the handler: after a cancel the handler may outlive this call.
  auto state = std::make_shared<std::pair<bool, error_code>>(false, asio::error::would_block);
  start([state](error_code ec, auto&&...) {
    state->second = ec;
    state->first = true;
  });
  ioc.restart();
  while (!state->first) {
    if (cancel && *cancel) {
      ioc.stop(); // the socket closes with its stream; the handler never runs
      return asio::error::operation_aborted;
    }
    // Short slices, so that a cancel is seen within a fraction of a second.
    if (ioc.run_one_for(std::chrono::milliseconds(100)) == 0 && ioc.stopped())
      break;
  }
  return state->second;
}

error cancelled_error(std::string_view what) {
  return make_error(errc::cancelled, std::string(what) + ": cancelled");
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

enum class body_mode { buffer_all, stream_2xx };

struct hop_request {
  std::string_view method;
  const url* where;
  const http_headers* headers;
  body_mode mode;
  const http_client::body_sink* sink;
  bool follow; // a redirect response is returned without reading its body
  const std::string* body = nullptr; // request body (POST), null for none
};

class exchanger {
 public:
  using clock = std::chrono::steady_clock;

  exchanger(const http_options& opts, asio::io_context& ioc, clock::time_point deadline)
    : opts_(opts), ioc_(ioc), deadline_(deadline) {}

  // Each network step gets `timeout`, but never past the exchange's deadline
  // (nor past `until`, the end of the current min-rate window).
  void arm(beast::tcp_stream& tcp, clock::time_point until = clock::time_point::max()) const {
    tcp.expires_at(std::min({clock::now() + opts_.timeout, deadline_, until}));
  }

  std::string where(const hop_request& rq) const {
    return std::string(rq.method) + " " + rq.where->describe();
  }

  error fail(const hop_request& rq, const error_code& ec, std::string_view step) const {
    if (opts_.cancel && *opts_.cancel)
      return cancelled_error(where(rq));
    if (ec == beast::error::timeout && clock::now() >= deadline_)
      return make_error(errc::transport, where(rq) + ": did not complete within "
                        + std::to_string(opts_.total_timeout.count()) + "s (" + std::string(step) + ")");
    if (ec == beast::error::timeout)
      return make_error(errc::transport, where(rq) + ": timed out " + std::string(step) + " after "
                        + std::to_string(opts_.timeout.count()) + "s");
    return make_error(errc::transport, where(rq) + ": " + std::string(step) + " failed: " + ec.message());
  }

  expected<void> connect(beast::tcp_stream& tcp, const hop_request& rq) {
    tcp::resolver resolver(ioc_);
    error_code ec;
    // Resolution is synchronous: registry hosts are few and cached by the system.
    auto results = resolver.resolve(rq.where->host, std::to_string(rq.where->port), ec);
    if (ec)
      return make_error(errc::transport, where(rq) + ": cannot resolve host: " + ec.message());
    arm(tcp);
    ec = run_op(ioc_, opts_.cancel, [&](auto h) { tcp.async_connect(results, std::move(h)); });
    if (ec)
      return fail(rq, ec, "connecting");
    return {};
  }

  template <class Stream>
  expected<http_response> exchange(Stream& stream, const hop_request& rq) {
    auto& lowest = beast::get_lowest_layer(stream);
    http::request<http::string_body> req;
    auto verb = http::string_to_verb(rq.method);
    if (verb == http::verb::unknown)
      req.method_string(rq.method);
    else
      req.method(verb);
    req.target(rq.where->target);
    req.version(11);
    req.set(http::field::host, rq.where->authority());
    req.set(http::field::user_agent, "regscan/0.1");
    req.keep_alive(false);
    for (auto& [k, v] : *rq.headers)
      if (!iequals(k, "host"))
        req.set(k, v);
    if (rq.body) {
      req.body() = *rq.body;
      req.prepare_payload();
    }
    arm(lowest);
    auto ec = run_op(ioc_, opts_.cancel, [&](auto h) { http::async_write(stream, req, std::move(h)); });
    if (ec)
      return fail(rq, ec, "sending request");

    beast::flat_buffer buf;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none); // limits are enforced below, per mode
    parser.header_limit(64 * 1024);
    if (iequals(rq.method, "HEAD"))
      parser.skip(true);
    arm(lowest);
    ec = run_op(ioc_, opts_.cancel, [&](auto h) { http::async_read_header(stream, buf, parser, std::move(h)); });
    if (ec)
      return fail(rq, ec, "reading response header");

    http_response out;
    out.url = rq.where->str();
    out.status = static_cast<int>(parser.get().result_int());
    if (out.status == 429 && opts_.on_throttled)
      opts_.on_throttled();
    for (auto& f : parser.get())
      out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    if (rq.follow && is_redirect(out.status) && !out.header("location").empty())
      return out;

    bool to_sink = rq.mode == body_mode::stream_2xx && out.status >= 200 && out.status < 300;
    bool limited = rq.mode == body_mode::buffer_all;
    if (limited && parser.content_length() && *parser.content_length() > opts_.max_body)
      return make_error(errc::limit, where(rq) + ": response body of " + std::to_string(*parser.content_length())
                        + " bytes exceeds the limit of " + std::to_string(opts_.max_body));
    // The minimum rate: each window must bring `window_quota` bytes; once it
    // has, the next window starts. A window that ends short fails the read.
    bool rate_checked = opts_.min_transfer_bytes_per_second > 0 && opts_.min_transfer_window.count() > 0;
    uint64_t window_quota = opts_.min_transfer_bytes_per_second
                            * static_cast<uint64_t>(opts_.min_transfer_window.count());
    uint64_t window_bytes = 0;
    auto window_end = rate_checked ? clock::now() + opts_.min_transfer_window : clock::time_point::max();
    std::vector<char> chunk(chunk_size);
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      arm(lowest, window_end);
      ec = run_op(ioc_, opts_.cancel, [&](auto h) { http::async_read_some(stream, buf, parser, std::move(h)); });
      if (ec == http::error::need_buffer)
        ec = {};
      if (ec == beast::error::timeout && clock::now() >= window_end && clock::now() < deadline_)
        return make_error(errc::transport,
                          where(rq) + ": body arrived slower than the minimum of "
                            + std::to_string(opts_.min_transfer_bytes_per_second) + " bytes/s ("
                            + std::to_string(window_bytes) + " bytes in "
                            + std::to_string(opts_.min_transfer_window.count()) + "s)");
      if (ec)
        return fail(rq, ec, "reading response body");
      auto n = chunk.size() - parser.get().body().size;
      window_bytes += n;
      if (rate_checked && window_bytes >= window_quota) {
        window_bytes = 0;
        window_end = clock::now() + opts_.min_transfer_window;
      }
      if (n == 0)
        continue;
      auto data = reinterpret_cast<const uint8_t*>(chunk.data());
      if (to_sink) {
        auto ok = (*rq.sink)(data, n);
        if (!ok)
          return ok.err();
      } else if (limited) {
        if (out.body.size() + n > opts_.max_body)
          return make_error(errc::limit, where(rq) + ": response body exceeds the limit of "
                            + std::to_string(opts_.max_body) + " bytes");
        out.body.append(chunk.data(), n);
      } else {
        // An error body only explains the status: keep its start.
        out.body.append(chunk.data(), std::min(n, error_body_limit - out.body.size()));
        if (out.body.size() >= error_body_limit)
          break;
      }
    }
    return out;
  }

  expected<http_response> plain(const hop_request& rq) {
    beast::tcp_stream stream(ioc_);
    if (auto ok = connect(stream, rq); !ok)
      return ok.err();
    return exchange(stream, rq);
  }

  expected<http_response> secure(ssl::context& ctx, const hop_request& rq) {
    beast::ssl_stream<beast::tcp_stream> stream(ioc_, ctx);
    auto& host = rq.where->host;
    auto* handle = stream.native_handle();
    bool ip = is_ip_literal(host);
    // SNI is only defined for host names.
    if (!ip && !SSL_set_tlsext_host_name(handle, host.c_str()))
      return make_error(where(rq) + ": cannot set TLS server name");
    if (opts_.verify_tls) {
      stream.set_verify_mode(ssl::verify_peer);
      // OpenSSL's own host check reports a precise verify error on mismatch.
      int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(handle), host.c_str())
                   : SSL_set1_host(handle, host.c_str());
      if (set != 1)
        return make_error(where(rq) + ": cannot set TLS host name check");
    } else {
      stream.set_verify_mode(ssl::verify_none);
    }
    if (auto ok = connect(beast::get_lowest_layer(stream), rq); !ok)
      return ok.err();
    arm(beast::get_lowest_layer(stream));
    auto ec = run_op(ioc_, opts_.cancel, [&](auto h) {
      stream.async_handshake(ssl::stream_base::client, std::move(h));
    });
    if (ec) {
      auto verify = SSL_get_verify_result(handle);
      if (opts_.verify_tls && verify != X509_V_OK)
        // Not trusted: trying again cannot help.
        return make_error(errc::invalid, where(rq) + ": TLS certificate verification failed: "
                          + X509_verify_cert_error_string(verify)
                          + " (turn off certificate verification only for registries"
                            " with self-signed certificates)");
      return fail(rq, ec, "TLS handshake");
    }
    return exchange(stream, rq);
  }

 private:
  const http_options& opts_;
  asio::io_context& ioc_;
  clock::time_point deadline_;
};

} // namespace

http_client::http_client(http_options opts) : opts_(opts), impl_(std::make_unique<impl>()) {
  try {
    impl_->ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    impl_->ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2
                            | ssl::context::no_sslv3 | ssl::context::no_tlsv1
                            | ssl::context::no_tlsv1_1);
    error_code ec;
    impl_->ctx->set_default_verify_paths(ec);
    if (ec)
      impl_->ctx_error = "cannot load the system CA certificates: " + ec.message();
  } catch (const std::exception& e) {
    impl_->ctx.reset();
    impl_->ctx_error = std::string("cannot create TLS context: ") + e.what();
  }
}

http_client::~http_client() = default;
http_client::http_client(http_client&&) noexcept = default;
http_client& http_client::operator=(http_client&&) noexcept = default;

namespace {

expected<http_response> perform(const http_options& opts, ssl::context* ctx,
                                const std::string& ctx_error,
                                std::string_view method, const std::string& url_text,
                                const http_headers& headers, body_mode mode,
                                const http_client::body_sink* sink, bool bounded,
                                const std::string* body = nullptr) {
  auto deadline = bounded ? std::chrono::steady_clock::now() + opts.total_timeout
                          : std::chrono::steady_clock::time_point::max();
  auto start = parse_url(url_text);
  if (!start)
    return start.err();
  auto current = *start;
  std::string verb(method);
  http_headers hdrs = headers;
  try {
    for (int hop = 0;; ++hop) {
      if (opts.cancel && *opts.cancel)
        return cancelled_error(verb + " " + current.describe());
      asio::io_context ioc;
      exchanger ex(opts, ioc, deadline);
      hop_request rq{verb, &current, &hdrs, mode, sink, true, body};
      expected<http_response> res = make_error("");
      if (current.tls()) {
        if (!ctx || !ctx_error.empty())
          return make_error(verb + " " + current.describe() + ": " + ctx_error);
        res = ex.secure(*ctx, rq);
      } else {
        res = ex.plain(rq);
      }
      if (!res || !is_redirect(res->status) || res->header("location").empty())
        return res;
      if (hop >= opts.max_redirects)
        return make_error(verb + " " + start->describe() + ": too many redirects (more than "
                          + std::to_string(opts.max_redirects) + ")");
      auto next = resolve_url(current, res->header("location"));
      if (!next)
        return make_error(verb + " " + current.describe() + ": bad redirect: " + next.err().message);
      // What TLS protects stays protected: no redirect from https to plain http.
      if (start->tls() && !next->tls())
        return make_error(errc::invalid, verb + " " + current.describe()
                                           + ": refusing a redirect from https to plain http ("
                                           + next->describe() + ")");
      // Credentials belong to the origin they were issued for: a redirect to
      // blob storage or another host must not see them.
      if (!same_origin(*start, *next))
        std::erase_if(hdrs, [](auto& h) {
          return iequals(h.first, "authorization") || iequals(h.first, "proxy-authorization")
                 || iequals(h.first, "cookie");
        });
      if (res->status == 303 && verb != "HEAD") {
        verb = "GET";
        body = nullptr;
      }
      // A signed request (Tencent Cloud API) is only valid for its own host.
      if (body && !same_origin(*start, *next))
        return make_error(verb + " " + current.describe() + ": refusing to resend a request body to "
                          + next->describe());
      current = *next;
    }
  } catch (const std::exception& e) {
    return make_error(verb + " " + current.describe() + ": " + e.what());
  }
}

} // namespace

expected<http_response> http_client::request(std::string_view method, const std::string& url,
                                             const http_headers& headers) {
  return perform(opts_, impl_->ctx.get(), impl_->ctx_error, method, url, headers, body_mode::buffer_all, nullptr,
                 true);
}

expected<http_response> http_client::post(const std::string& url, const http_headers& headers,
                                          const std::string& body) {
  return perform(opts_, impl_->ctx.get(), impl_->ctx_error, "POST", url, headers, body_mode::buffer_all,
                 nullptr, true, &body);
}

expected<http_response> http_client::stream(std::string_view method, const std::string& url,
                                            const http_headers& headers, const body_sink& sink,
                                            bool bounded) {
  return perform(opts_, impl_->ctx.get(), impl_->ctx_error, method, url, headers, body_mode::stream_2xx, &sink,
                 bounded);
}

} // namespace regscan
