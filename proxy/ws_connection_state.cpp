#include "proxy/ws_connection_state.hpp"

namespace gate::proxy {

using hrana::ws::RequestType;

namespace {

// The HTTP request kind whose authorization a WebSocket request shares.
std::optional<hrana::RequestKind> kind_of(RequestType type) {
  switch (type) {
    case RequestType::execute: return hrana::RequestKind::execute;
    case RequestType::batch:
    case RequestType::open_cursor: return hrana::RequestKind::batch;
    case RequestType::sequence: return hrana::RequestKind::sequence;
    case RequestType::describe: return hrana::RequestKind::describe;
    default: return std::nullopt;
  }
}

}  // namespace

WsConnectionState::HelloOutcome WsConnectionState::hello(const Principal& principal, const std::string& token) {
  HelloOutcome outcome = HelloOutcome::first;
  if (principal_) {
    // A connection's streams, stored texts and cursors belong to whoever opened
    // it: another principal must open its own connection.
    if (principal_->issuer != principal.issuer || principal_->subject != principal.subject) {
      return HelloOutcome::other_principal;
    }
    if (version_ < 2) return HelloOutcome::repeat_unsupported;
    outcome = HelloOutcome::renewed;
  }
  principal_ = principal;
  token_ = token;
  return outcome;
}

std::optional<std::string> WsConnectionState::violation(std::int32_t request_id,
                                                        const hrana::ws::Request& request) const {
  if (!principal_) return "a request before a successful hello";
  if (hrana::ws::min_version(request.type) > version_) {
    return "request " + std::string(hrana::ws::to_string(request.type)) + " needs Hrana " +
           std::to_string(hrana::ws::min_version(request.type)) + ", this connection negotiated Hrana " +
           std::to_string(version_);
  }
  if (pending_.count(request_id) != 0) return "request_id " + std::to_string(request_id) + " is still outstanding";
  if (request.type == RequestType::store_sql && stored_.count(*request.sql_id) != 0) {
    return "sql_id " + std::to_string(*request.sql_id) + " is already in use";
  }
  if (request.type == RequestType::open_cursor && refused_cursors_.count(*request.cursor_id) != 0) {
    return "cursor_id " + std::to_string(*request.cursor_id) + " is still in use";
  }
  return std::nullopt;
}

std::vector<hrana::RequestStatements> WsConnectionState::statements(const hrana::ws::Request& request) const {
  const auto kind = kind_of(request.type);
  if (!kind) return {};
  return {hrana::resolve(*kind, request.statements, stored_)};
}

bool WsConnectionState::storage_full(const hrana::ws::Request& request) const {
  return request.type == RequestType::store_sql && stored_.size() >= kMaxStoredSql;
}

std::optional<WsConnectionState::StoreTicket> WsConnectionState::sent(const hrana::ws::Request& request) {
  if (request.type == RequestType::store_sql) {
    stored_[*request.sql_id] = request.stored_sql;
    store_generation_[*request.sql_id] = ++generations_;
    return StoreTicket{*request.sql_id, generations_};
  }
  if (request.type == RequestType::close_sql) {
    stored_.erase(*request.sql_id);
    store_generation_.erase(*request.sql_id);
  }
  return std::nullopt;
}

void WsConnectionState::store_failed(const StoreTicket& ticket) {
  const auto it = store_generation_.find(ticket.sql_id);
  if (it == store_generation_.end() || it->second != ticket.generation) return;
  store_generation_.erase(it);
  stored_.erase(ticket.sql_id);
}

std::optional<WsConnectionState::Pending> WsConnectionState::answered(std::int32_t request_id) {
  auto it = pending_.find(request_id);
  if (it == pending_.end()) return std::nullopt;
  Pending pending = std::move(it->second);
  pending_.erase(it);
  return pending;
}

}  // namespace gate::proxy
