// Exception types of the core. The bindings map each to one Python exception.
#pragma once

#include <stdexcept>
#include <string>

namespace pyfacelm {

// A model file exists but its content is not what its format requires.
class ModelFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A model file (or a file a model file refers to) could not be opened.
class ModelNotFoundError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Arguments a caller passed are outside what the function accepts.
class InvalidArgument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace pyfacelm
