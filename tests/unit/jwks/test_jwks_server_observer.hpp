#pragma once
// A JwksObserver that remembers what it was told, for assertions.
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "jwks/jwks_observer.hpp"

namespace gate::jwks::testing {

class RecordingObserver final : public JwksObserver {
 public:
  void on_fetch(std::string_view issuer, std::string_view result) override {
    std::lock_guard lock(mutex_);
    ++fetches_[{std::string(issuer), std::string(result)}];
  }
  void on_keys(std::string_view issuer, std::size_t count) override {
    std::lock_guard lock(mutex_);
    keys_[std::string(issuer)] = count;
  }
  void on_last_success(std::string_view issuer, std::int64_t unix_time) override {
    std::lock_guard lock(mutex_);
    last_success_[std::string(issuer)] = unix_time;
  }
  void on_token_cache(CacheLookup lookup) override {
    std::lock_guard lock(mutex_);
    ++cache_[std::string(to_string(lookup))];
  }
  void on_auth_failure(std::string_view issuer, std::string_view reason) override {
    std::lock_guard lock(mutex_);
    ++failures_[{std::string(issuer), std::string(reason)}];
  }

  int fetches(const std::string& issuer, const std::string& result) const {
    std::lock_guard lock(mutex_);
    auto it = fetches_.find({issuer, result});
    return it == fetches_.end() ? 0 : it->second;
  }
  std::size_t keys(const std::string& issuer) const {
    std::lock_guard lock(mutex_);
    auto it = keys_.find(issuer);
    return it == keys_.end() ? 0 : it->second;
  }
  std::int64_t last_success(const std::string& issuer) const {
    std::lock_guard lock(mutex_);
    auto it = last_success_.find(issuer);
    return it == last_success_.end() ? 0 : it->second;
  }
  int cache(const std::string& result) const {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(result);
    return it == cache_.end() ? 0 : it->second;
  }
  int failures(const std::string& issuer, const std::string& reason) const {
    std::lock_guard lock(mutex_);
    auto it = failures_.find({issuer, reason});
    return it == failures_.end() ? 0 : it->second;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, int> fetches_;
  std::map<std::string, std::size_t> keys_;
  std::map<std::string, std::int64_t> last_success_;
  std::map<std::string, int> cache_;
  std::map<std::pair<std::string, std::string>, int> failures_;
};

}  // namespace gate::jwks::testing
