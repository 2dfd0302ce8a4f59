// SPEC §1.1: OpenFace's text and binary matrix containers.
#include "io/file_readers.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <type_traits>

#include "common/errors.hpp"

namespace pyfacelm {

namespace {

// Largest number of elements a single matrix may declare. The biggest matrices
// in shipped files (CCNF sigma components 225x225, CEN 500x122 layers) are far
// below this; the bound exists so that a corrupt header cannot ask for gigabytes.
constexpr long long kMaxElements = 64LL * 1024 * 1024;

std::size_t element_size(int type) {
  switch (type) {
    case 0: case 1: return 1;
    case 2: case 3: return 2;
    case 4: case 5: return 4;
    case 6: return 8;
    default: return 0;
  }
}

template <class T>
T read_le(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // all supported hosts are little-endian (checked at build time below)
  return v;
}

static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE float sizes required");

// n little-endian Src values at p converted (through double) to T; returns the index of the
// first non-finite value, or n. Integer sources are always finite.
template <class Src, class T>
long long convert_elements(const char* p, long long n, T* out) {
  if constexpr (std::is_same_v<Src, float> && std::is_same_v<T, float>) {
    // float -> double -> float is the identity: copy the bytes, then look for an all-ones
    // exponent (inf or NaN) with a branch-free scan the compiler vectorises.
    std::uint32_t any = 0;
    for (long long i = 0; i < n; ++i) {
      std::uint32_t bits;
      std::memcpy(&bits, p + static_cast<std::size_t>(i) * sizeof(float), sizeof bits);
      any |= static_cast<std::uint32_t>((bits & 0x7F800000u) == 0x7F800000u);
    }
    if (any == 0) {
      // An empty matrix has no storage (out may be null): memcpy must not see it.
      if (n > 0) std::memcpy(out, p, static_cast<std::size_t>(n) * sizeof(float));
      return n;
    }
  }
  for (long long i = 0; i < n; ++i) {
    const double v = static_cast<double>(read_le<Src>(p + static_cast<std::size_t>(i) * sizeof(Src)));
    if constexpr (std::is_floating_point_v<Src>) {
      if (!std::isfinite(v)) return i;
    }
    out[i] = static_cast<T>(v);
  }
  return n;
}

}  // namespace

std::string printable(const char* data, std::size_t n, std::size_t max_len) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n && i < max_len; ++i) {
    unsigned char c = static_cast<unsigned char>(data[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  if (n > max_len) out += "...";
  return out;
}

std::vector<char> read_whole_file(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw ModelNotFoundError("model file not found or unreadable: " + path);
  std::streamoff size = in.tellg();
  if (size < 0) throw ModelNotFoundError("model file unreadable: " + path);
  if (static_cast<std::size_t>(size) > max_bytes)
    throw ModelFormatError(path + ": file is " + std::to_string(size) + " bytes, larger than any model file of this kind");
  std::vector<char> data(static_cast<std::size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(data.data(), size)) throw ModelNotFoundError("model file unreadable: " + path);
  return data;
}

// ---------------------------------------------------------------- binary

BinaryReader::BinaryReader(std::string path, std::vector<char> data) : path_(std::move(path)), data_(std::move(data)) {}
BinaryReader::BinaryReader(const std::string& path) : BinaryReader(path, read_whole_file(path)) {}

void BinaryReader::fail(const std::string& message) const {
  throw ModelFormatError(path_ + ": at byte " + std::to_string(pos_) + ": " + message);
}

void BinaryReader::need(std::size_t n, const char* what) {
  if (n > data_.size() - pos_)
    fail(std::string("file truncated while reading ") + what + " (needs " + std::to_string(n) + " bytes, " +
         std::to_string(data_.size() - pos_) + " left)");
}

std::int32_t BinaryReader::i32(const char* what) {
  need(4, what);
  auto v = read_le<std::int32_t>(data_.data() + pos_);
  pos_ += 4;
  return v;
}

double BinaryReader::f64(const char* what) {
  need(8, what);
  double v = read_le<double>(data_.data() + pos_);
  if (!std::isfinite(v)) fail(std::string("non-finite value in ") + what);
  pos_ += 8;
  return v;
}

float BinaryReader::f32(const char* what) {
  need(4, what);
  float v = read_le<float>(data_.data() + pos_);
  if (!std::isfinite(v)) fail(std::string("non-finite value in ") + what);
  pos_ += 4;
  return v;
}

int BinaryReader::count(const char* what, int lo, int hi) {
  std::size_t at = pos_;
  std::int32_t v = i32(what);
  if (v < lo || v > hi) {
    pos_ = at;
    fail(std::string(what) + " is " + std::to_string(v) + ", expected a value in [" + std::to_string(lo) + ", " +
         std::to_string(hi) + "]");
  }
  return v;
}

std::vector<float> BinaryReader::f32_array(const char* what, int n) {
  if (n < 0 || n > kMaxElements) fail(std::string("absurd element count for ") + what);
  need(static_cast<std::size_t>(n) * 4, what);
  std::vector<float> out(static_cast<std::size_t>(n));
  for (auto& v : out) v = f32(what);
  return out;
}

template <class T>
RowMatrix<T> BinaryReader::matrix(const char* what, int expect_rows, int expect_cols) {
  std::size_t start = pos_;
  std::int32_t rows = i32(what), cols = i32(what), type = i32(what);
  auto bad = [&](const std::string& m) {
    pos_ = start;
    fail(std::string(what) + ": " + m);
  };
  if (rows < 0 || cols < 0) bad("negative matrix size " + std::to_string(rows) + "x" + std::to_string(cols));
  std::size_t es = element_size(type);
  if (es == 0) bad("unknown matrix type code " + std::to_string(type));
  if (expect_rows >= 0 && rows != expect_rows)
    bad("expected " + std::to_string(expect_rows) + " rows, file says " + std::to_string(rows));
  if (expect_cols >= 0 && cols != expect_cols)
    bad("expected " + std::to_string(expect_cols) + " columns, file says " + std::to_string(cols));
  long long n = static_cast<long long>(rows) * cols;
  if (n > kMaxElements) bad("declared size " + std::to_string(rows) + "x" + std::to_string(cols) + " is absurd");
  need(static_cast<std::size_t>(n) * es, what);
  RowMatrix<T> m(rows, cols);
  const char* p = data_.data() + pos_;
  T* out = m.data();
  // One typed loop per element type (the type switch hoisted out of the loop); each value goes
  // through double as before, so results are unchanged.
  const long long bad_at = [&]() -> long long {
    switch (type) {
      case 0: return convert_elements<unsigned char>(p, n, out);
      case 1: return convert_elements<signed char>(p, n, out);
      case 2: return convert_elements<std::uint16_t>(p, n, out);
      case 3: return convert_elements<std::int16_t>(p, n, out);
      case 4: return convert_elements<std::int32_t>(p, n, out);
      case 5: return convert_elements<float>(p, n, out);
      default: return convert_elements<double>(p, n, out);
    }
  }();
  if (bad_at < n) {
    pos_ += static_cast<std::size_t>(bad_at) * es;
    fail(std::string("non-finite value in ") + what);
  }
  pos_ += static_cast<std::size_t>(n) * es;
  return m;
}

void BinaryReader::expect_end(const char* what) {
  if (pos_ != data_.size())
    fail(std::string(what) + ": " + std::to_string(data_.size() - pos_) +
         " unexpected bytes after the end of the data (wrong file kind?)");
}

template RowMatrix<float> BinaryReader::matrix<float>(const char*, int, int);
template RowMatrix<double> BinaryReader::matrix<double>(const char*, int, int);
template RowMatrix<int> BinaryReader::matrix<int>(const char*, int, int);

// ---------------------------------------------------------------- text

TextReader::TextReader(std::string path, std::vector<char> data) : path_(std::move(path)), data_(std::move(data)) {}
TextReader::TextReader(const std::string& path) : TextReader(path, read_whole_file(path, std::size_t(1) << 28)) {}

void TextReader::fail(const std::string& message) const {
  std::size_t line = 1;
  for (std::size_t i = 0; i < pos_ && i < data_.size(); ++i) line += data_[i] == '\n';
  throw ModelFormatError(path_ + ": line " + std::to_string(line) + " (byte " + std::to_string(pos_) + "): " + message);
}

void TextReader::skip_comments() {
  while (pos_ < data_.size()) {
    char c = data_[pos_];
    if (c != '#' && c != '\n' && c != ' ' && c != '\r') break;
    while (pos_ < data_.size() && data_[pos_] != '\n') ++pos_;
    if (pos_ < data_.size()) ++pos_;
  }
}

static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'; }

std::string TextReader::token(const char* what) {
  while (pos_ < data_.size() && is_space(data_[pos_])) ++pos_;
  if (pos_ >= data_.size()) fail(std::string("file ends where ") + what + " was expected");
  std::size_t b = pos_;
  while (pos_ < data_.size() && !is_space(data_[pos_])) ++pos_;
  return std::string(data_.data() + b, pos_ - b);
}

double TextReader::number(const char* what) {
  while (pos_ < data_.size() && is_space(data_[pos_])) ++pos_;
  std::size_t b = pos_;
  std::size_t e = b;
  while (e < data_.size() && !is_space(data_[e])) ++e;
  if (b >= data_.size()) fail(std::string("file ends where ") + what + " was expected");
  const char* first = data_.data() + b;
  const char* last = data_.data() + e;
  if (first < last && *first == '+') ++first;
  double v = 0;
  auto res = std::from_chars(first, last, v);
  if (res.ec != std::errc() || res.ptr != last)
    fail(std::string("expected a number for ") + what + ", found '" + printable(data_.data() + b, e - b) + "'");
  if (!std::isfinite(v)) fail(std::string("non-finite value in ") + what);
  pos_ = e;
  return v;
}

long long TextReader::integer(const char* what) {
  std::size_t b = pos_;
  double v = number(what);
  if (v != std::floor(v) || std::fabs(v) > 2e9) {
    pos_ = b;
    fail(std::string("expected an integer for ") + what);
  }
  return static_cast<long long>(v);
}

template <class T>
RowMatrix<T> TextReader::matrix(const char* what, int expect_rows, int expect_cols) {
  std::size_t start = pos_;
  long long rows = integer(what), cols = integer(what), type = integer(what);
  auto bad = [&](const std::string& m) {
    pos_ = start;
    fail(std::string(what) + ": " + m);
  };
  if (rows < 0 || cols < 0) bad("negative matrix size");
  if (type != 4 && type != 5 && type != 6)
    bad("matrix type code " + std::to_string(type) + " is not one of the text types 4, 5, 6");
  if (expect_rows >= 0 && rows != expect_rows)
    bad("expected " + std::to_string(expect_rows) + " rows, file says " + std::to_string(rows));
  if (expect_cols >= 0 && cols != expect_cols)
    bad("expected " + std::to_string(expect_cols) + " columns, file says " + std::to_string(cols));
  long long n = rows * cols;
  // Every value takes at least one character and one separator: bound before allocating.
  if (n > kMaxElements || static_cast<std::size_t>(n) > (data_.size() - pos_ + 1) / 2)
    bad("declared size " + std::to_string(rows) + "x" + std::to_string(cols) + " does not fit in the rest of the file");
  RowMatrix<T> m(rows, cols);
  T* out = m.data();
  for (long long i = 0; i < n; ++i) out[i] = static_cast<T>(type == 4 ? static_cast<double>(integer(what)) : number(what));
  return m;
}

bool TextReader::at_end_ignoring_space() const {
  for (std::size_t i = pos_; i < data_.size(); ++i)
    if (!is_space(data_[i])) return false;
  return true;
}

void TextReader::expect_end(const char* what) {
  if (!at_end_ignoring_space()) fail(std::string(what) + ": unexpected data after the end (wrong file kind?)");
}

template RowMatrix<float> TextReader::matrix<float>(const char*, int, int);
template RowMatrix<double> TextReader::matrix<double>(const char*, int, int);
template RowMatrix<int> TextReader::matrix<int>(const char*, int, int);

}  // namespace pyfacelm
