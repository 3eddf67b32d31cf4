#pragma once
// The one way to include Asio and Beast in this project.
//
// Boost 1.74's <boost/asio/awaitable.hpp> uses std::exchange without including
// <utility>; with g++ 12 in C++20 every coroutine TU fails unless <utility> comes
// first. Asio/Beast are compiled once in asio_impl.cpp (see common/CMakeLists.txt).
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

namespace gate {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
}  // namespace gate
