#include "policy/schema_source.hpp"

namespace gate::policy {

SchemaSource::SchemaSource(std::shared_ptr<const SchemaSnapshot> initial) : current_(std::move(initial)) {}

void SchemaSource::publish(std::shared_ptr<const SchemaSnapshot> snapshot) {
  current_.store(std::move(snapshot), std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace gate::policy
