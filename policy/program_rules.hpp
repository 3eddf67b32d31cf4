#pragma once
// SPEC §6 "two witnesses" as code: the tables a statement's program opens
// (program_witness.hpp) checked against what the authorizer reported for it. A
// table opened for reading needs data_read; one opened for writing needs a write
// action the authorizer also reported on it. A table reached without an authorizer
// callback is thereby never reached unauthorized, whatever SQLite bug hid it.
#include <span>

#include "policy/authorizer_recorder.hpp"
#include "policy/authorizer_rules.hpp"
#include "policy/policy_config.hpp"
#include "policy/program_witness.hpp"
#include "policy/requirement.hpp"

namespace gate::policy {

// Adds to `statement` (already built from the authorizer's events) the
// requirements the program needs beyond them, or a Forbidden when the program
// does what no requirement can grant (writes a table the authorizer did not
// report written, opens something the copy cannot name). Records `opened`.
void apply_program_witness(StatementRequirements& statement, std::vector<OpenedObject> opened,
                           std::span<const AuthorizerEvent> events, const PolicyConfig& config,
                           ObjectLookup& lookup);

}  // namespace gate::policy
