// Readers for OpenFace's generic containers (SPEC §1.1): whole files are read
// into memory once, then parsed with bounds checks on every access, so a
// truncated or corrupt file is a ModelFormatError that names file and offset,
// never an out-of-bounds read or an absurd allocation.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

namespace pyfacelm {

template <class T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// OpenCV depth codes used as matrix type tags in the files.
enum class MatType : int { U8 = 0, S8 = 1, U16 = 2, S16 = 3, S32 = 4, F32 = 5, F64 = 6 };

// Quotes file content for an error message: non-printable bytes become \xNN, so
// messages stay valid UTF-8 whatever a corrupt file holds. At most `max_len` bytes.
std::string printable(const char* data, std::size_t n, std::size_t max_len = 40);

// Reads a whole file; ModelNotFoundError if it cannot be opened, ModelFormatError
// if it is larger than `max_bytes` (guards against reading a wrong, huge file).
std::vector<char> read_whole_file(const std::string& path, std::size_t max_bytes = (std::size_t(1) << 31));

// Little-endian binary cursor (SPEC §1.1 "ReadMatBin").
class BinaryReader {
 public:
  BinaryReader(std::string path, std::vector<char> data);
  explicit BinaryReader(const std::string& path);

  std::int32_t i32(const char* what);
  double f64(const char* what);
  float f32(const char* what);
  // A count read as int32 that must lie in [lo, hi].
  int count(const char* what, int lo, int hi);

  // A MatBin block (int32 rows, cols, type, then row-major data) converted to T.
  // `expect_rows`/`expect_cols` < 0 mean "any". Non-finite values are rejected.
  template <class T>
  RowMatrix<T> matrix(const char* what, int expect_rows = -1, int expect_cols = -1);
  // Raw float32 values without a header (validator / MTCNN conv biases).
  std::vector<float> f32_array(const char* what, int count);

  std::size_t position() const { return pos_; }
  std::size_t size() const { return data_.size(); }
  bool at_end() const { return pos_ == data_.size(); }
  const std::string& path() const { return path_; }
  // Throws unless the whole file was consumed (catches wrong formats early).
  void expect_end(const char* what);
  [[noreturn]] void fail(const std::string& message) const;

 private:
  void need(std::size_t n, const char* what);
  std::string path_;
  std::vector<char> data_;
  std::size_t pos_ = 0;
};

// Whitespace-separated text cursor (SPEC §1.1 "ReadMat", "SkipComments").
class TextReader {
 public:
  TextReader(std::string path, std::vector<char> data);
  explicit TextReader(const std::string& path);

  // OpenFace's comment rule: while the next character is '#', a line break or a
  // space, the rest of that line is discarded.
  void skip_comments();
  double number(const char* what);
  long long integer(const char* what);
  // rows cols type, then rows*cols values (row-major), converted to T.
  template <class T>
  RowMatrix<T> matrix(const char* what, int expect_rows = -1, int expect_cols = -1);
  bool at_end_ignoring_space() const;
  void expect_end(const char* what);
  std::size_t position() const { return pos_; }
  const std::string& path() const { return path_; }
  [[noreturn]] void fail(const std::string& message) const;

 private:
  std::string token(const char* what);
  std::string path_;
  std::vector<char> data_;
  std::size_t pos_ = 0;
};

}  // namespace pyfacelm
