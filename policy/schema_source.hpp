#pragma once
// Where analysing threads find the current SchemaSnapshot. The schema refresher
// publishes a new snapshot; each thread's SqlAnalyzer notices on its next call and
// clones the new image. Readers check one atomic counter per call and take no lock
// unless it moved (then one atomic shared_ptr load).
#include <atomic>
#include <cstdint>
#include <memory>

#include "policy/schema_snapshot.hpp"

namespace gate::policy {

class SchemaSource {
 public:
  explicit SchemaSource(std::shared_ptr<const SchemaSnapshot> initial);
  SchemaSource(const SchemaSource&) = delete;
  SchemaSource& operator=(const SchemaSource&) = delete;

  // Any thread. Readers see the new snapshot on their next call.
  void publish(std::shared_ptr<const SchemaSnapshot> snapshot);

  std::shared_ptr<const SchemaSnapshot> current() const { return current_.load(std::memory_order_acquire); }
  // Bumped after every publish; cheap to poll.
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  std::atomic<std::shared_ptr<const SchemaSnapshot>> current_;
  std::atomic<std::uint64_t> generation_{1};
};

}  // namespace gate::policy
