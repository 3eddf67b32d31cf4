#include "test_jwks_server.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>

#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/asio.hpp"
#include "jwks_test_support.hpp"

namespace gate::jwks::testing {
namespace {

using tcp = asio::ip::tcp;
namespace ssl = asio::ssl;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509Ptr make_cert(EVP_PKEY* key, const char* common_name, X509* issuer, long serial) {
  X509Ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7 * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  return cert;
}

std::string to_pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

}  // namespace

TempFile::TempFile(std::string_view content) {
  char name[] = "/tmp/libsql-gate-test-XXXXXX";
  int fd = mkstemp(name);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  close(fd);
  path_ = name;
  std::ofstream(path_, std::ios::binary) << content;
}

TempFile::~TempFile() { std::remove(path_.c_str()); }

TestPki make_test_pki(const std::vector<std::string>& subject_alt_names) {
  PkeyPtr ca_key(EVP_EC_gen("P-256"));
  PkeyPtr leaf_key(EVP_EC_gen("P-256"));
  check(ca_key && leaf_key, "EVP_EC_gen");

  X509Ptr ca = make_cert(ca_key.get(), "libsql-gate test CA", nullptr, 1);
  add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  check(X509_sign(ca.get(), ca_key.get(), EVP_sha256()) > 0, "sign CA");

  X509Ptr leaf = make_cert(leaf_key.get(), "libsql-gate test server", ca.get(), 2);
  add_extension(leaf.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(leaf.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(leaf.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  add_extension(leaf.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
  std::string san;
  for (const auto& name : subject_alt_names) san += (san.empty() ? "" : ",") + name;
  add_extension(leaf.get(), ca.get(), NID_subject_alt_name, san.c_str());
  check(X509_sign(leaf.get(), ca_key.get(), EVP_sha256()) > 0, "sign leaf");

  return TestPki{to_pem(ca.get()), to_pem(leaf.get()), test::write_pem(leaf_key.get(), true)};
}

struct TestJwksServer::Impl {
  explicit Impl(Options opts)
      : options(std::move(opts)),
        pki(make_test_pki(options.subject_alt_names)),
        ca(pki.ca_cert_pem),
        acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    tls.use_certificate_chain(asio::buffer(pki.leaf_cert_pem));
    tls.use_private_key(asio::buffer(pki.leaf_key_pem), ssl::context::pem);
  }

  Options options;
  TestPki pki;
  TempFile ca;
  asio::io_context context;
  ssl::context tls{ssl::context::tls_server};
  tcp::acceptor acceptor;
  std::thread thread;

  mutable std::mutex mutex;
  std::map<std::string, Route> routes;
  std::map<std::string, std::size_t> hits;

  Route route_for(const std::string& path) {
    std::lock_guard lock(mutex);
    ++hits[path];
    auto it = routes.find(path);
    if (it != routes.end()) return it->second;
    Route missing;
    missing.status = 404;
    missing.body = R"({"error":"not found"})";
    return missing;
  }

  template <class Stream>
  asio::awaitable<void> answer(Stream& stream) {
    beast::error_code ec;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    co_await http::async_read(stream, buffer, request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    std::string path(request.target().substr(0, request.target().find('?')));
    Route route = route_for(path);

    asio::steady_timer timer(co_await asio::this_coro::executor);
    if (route.hang) {
      timer.expires_after(std::chrono::hours(1));  // until the server goes away
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      co_return;
    }
    if (route.delay.count() > 0) {
      timer.expires_after(route.delay);
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (route.raw) {
      co_await asio::async_write(stream, asio::buffer(*route.raw),
                                 asio::redirect_error(asio::use_awaitable, ec));
      co_return;
    }
    http::response<http::string_body> response{static_cast<http::status>(route.status), 11};
    if (!route.content_type.empty()) response.set(http::field::content_type, route.content_type);
    if (!route.cache_control.empty()) response.set(http::field::cache_control, route.cache_control);
    if (!route.location.empty()) response.set(http::field::location, route.location);
    response.keep_alive(false);
    response.body() = route.body;
    response.prepare_payload();
    co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    beast::error_code ec;
    if (!options.tls) {
      beast::tcp_stream stream(std::move(socket));
      co_await answer(stream);
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls);
    co_await stream.async_handshake(ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    co_await answer(stream);
    co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      asio::co_spawn(context, serve(std::move(socket)), asio::detached);
    }
  }
};

TestJwksServer::TestJwksServer() : TestJwksServer(Options{}) {}

TestJwksServer::TestJwksServer(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {
  asio::co_spawn(impl_->context, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->context.run(); });
}

TestJwksServer::~TestJwksServer() {
  impl_->context.stop();
  impl_->thread.join();
}

std::uint16_t TestJwksServer::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string TestJwksServer::url(std::string_view path, std::string_view host) const {
  return std::string(impl_->options.tls ? "https://" : "http://") + std::string(host) + ":" +
         std::to_string(port()) + std::string(path);
}

const std::string& TestJwksServer::ca_file() const { return impl_->ca.path(); }

void TestJwksServer::set_route(const std::string& path, Route route) {
  std::lock_guard lock(impl_->mutex);
  impl_->routes[path] = std::move(route);
}

void TestJwksServer::set_json(const std::string& path, std::string body, std::string cache_control) {
  Route route;
  route.body = std::move(body);
  route.cache_control = std::move(cache_control);
  set_route(path, std::move(route));
}

std::size_t TestJwksServer::hits(const std::string& path) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->hits.find(path);
  return it == impl_->hits.end() ? 0 : it->second;
}

ClientLoop::ClientLoop() : guard_(context_.get_executor()), thread_([this] { context_.run(); }) {}

ClientLoop::~ClientLoop() {
  guard_.reset();
  context_.stop();
  thread_.join();
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace gate::jwks::testing
