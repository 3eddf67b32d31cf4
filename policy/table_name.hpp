#pragma once
// Table names compare the way SQLite compares identifiers: ASCII case-insensitive,
// with the quoting forms ("x", [x], `x`, 'x') removed. The canonical form is the
// unquoted name folded to ASCII lower case.
#include <string>
#include <string_view>

namespace gate::policy {

// "Comments", "\"comments\"", "[COMMENTS]" -> "comments". A doubled quote inside a
// quoted name stands for one quote character ("a""b" -> a"b).
std::string normalize_table_name(std::string_view written);

// The name as a double-quoted identifier, safe to splice into SQL we build.
std::string quote_identifier(std::string_view name);

}  // namespace gate::policy
