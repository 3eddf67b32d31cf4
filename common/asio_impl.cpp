// The single translation unit holding Asio's, Asio SSL's and Beast's compiled
// implementation (BOOST_*_SEPARATE_COMPILATION is set for every target that links
// gate_asio).
#include "common/asio.hpp"

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
