#pragma once
// Test equipment for the key fetcher: an HTTP(S) server on 127.0.0.1 (port 0) in the
// test process, with a throw-away PKI made by OpenSSL at test time, and a client
// io_context thread to run the code under test. Not product code.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace gate::jwks::testing {

// A file that disappears with the object.
class TempFile {
 public:
  explicit TempFile(std::string_view content);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A CA and a leaf certificate signed by it (EC P-256).
struct TestPki {
  std::string ca_cert_pem;
  std::string leaf_cert_pem;
  std::string leaf_key_pem;
};

// subject_alt_names in OpenSSL config syntax, e.g. {"IP:127.0.0.1", "DNS:localhost"}.
TestPki make_test_pki(const std::vector<std::string>& subject_alt_names);

struct Route {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::string cache_control;  // "" = no header
  std::string location;       // "" = no header
  std::chrono::milliseconds delay{0};
  bool hang = false;                // read the request, never answer
  std::optional<std::string> raw;   // bytes sent instead of an HTTP response

  // Route().with_status(302).with_location("/b")
  Route with_status(int value) const { Route r = *this; r.status = value; return r; }
  Route with_body(std::string value) const { Route r = *this; r.body = std::move(value); return r; }
  Route with_content_type(std::string value) const { Route r = *this; r.content_type = std::move(value); return r; }
  Route with_location(std::string value) const { Route r = *this; r.location = std::move(value); return r; }
  Route with_delay(std::chrono::milliseconds value) const { Route r = *this; r.delay = value; return r; }
  Route hanging() const { Route r = *this; r.hang = true; return r; }
  Route with_raw(std::string value) const { Route r = *this; r.raw = std::move(value); return r; }
};

class TestJwksServer {
 public:
  struct Options {
    bool tls = true;
    std::vector<std::string> subject_alt_names{"IP:127.0.0.1", "DNS:localhost"};

    static Options plain_http() { Options o; o.tls = false; return o; }
    static Options certificate_for(std::vector<std::string> names) {
      Options o;
      o.subject_alt_names = std::move(names);
      return o;
    }
  };
  TestJwksServer();
  explicit TestJwksServer(Options options);
  ~TestJwksServer();
  TestJwksServer(const TestJwksServer&) = delete;
  TestJwksServer& operator=(const TestJwksServer&) = delete;

  std::uint16_t port() const;
  // "https://127.0.0.1:PORT/path" (or http, or another host name).
  std::string url(std::string_view path, std::string_view host = "127.0.0.1") const;
  // The CA that signed the server's certificate, as a file for IssuerConfig::ca_file.
  const std::string& ca_file() const;

  void set_route(const std::string& path, Route route);
  void set_json(const std::string& path, std::string body, std::string cache_control = "");
  // Requests received for `path` (after TLS, once the request line was read).
  std::size_t hits(const std::string& path) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A client io_context on its own thread: what the proxy would run the code under
// test on.
class ClientLoop {
 public:
  ClientLoop();
  ~ClientLoop();
  boost::asio::io_context& context() { return context_; }
  boost::asio::any_io_executor executor() { return context_.get_executor(); }

  // Runs the awaitable on the loop and waits for its result.
  template <class T>
  T run(boost::asio::awaitable<T> work) {
    return boost::asio::co_spawn(context_, std::move(work), boost::asio::use_future).get();
  }

 private:
  boost::asio::io_context context_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

std::int64_t unix_now();

// Polls `condition` until true or `limit` passes (then false). For waiting on
// counters and events; never used to assert how long something took.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds limit = std::chrono::seconds(15));

}  // namespace gate::jwks::testing
