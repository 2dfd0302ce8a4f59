// numpy -> ImageView, without copying uint8 data (reads through strides).
#include <cmath>
#include <limits>

#include "common.hpp"

namespace pyfacelm::py_bindings {

namespace {

std::string shape_str(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

ColorOrder parse_color(const std::string& color) {
  if (color == "bgr" || color == "BGR") return ColorOrder::BGR;
  if (color == "rgb" || color == "RGB") return ColorOrder::RGB;
  throw py::value_error("color must be 'bgr' (OpenCV order, the default) or 'rgb', got '" + color + "'");
}

}  // namespace

ImageArg image_from_python(const py::handle& obj, const std::string& color, const char* name) {
  ColorOrder order = parse_color(color);
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(std::string(name) + " must be a numpy.ndarray (H x W gray or H x W x 3 colour, dtype uint8), got " +
                         std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
  py::array a = py::reinterpret_borrow<py::array>(obj);
  if (a.ndim() != 2 && a.ndim() != 3)
    throw py::value_error(std::string(name) + " must have 2 (H x W) or 3 (H x W x C) dimensions, got shape " + shape_str(a));
  int channels = a.ndim() == 3 ? static_cast<int>(a.shape(2)) : 1;
  if (channels != 1 && channels != 3)
    throw py::value_error(std::string(name) + " has " + std::to_string(channels) +
                          " channels (shape " + shape_str(a) + "); expected 1 (gray) or 3 (BGR/RGB)" +
                          (channels == 4 ? "; drop the alpha channel first, e.g. image[..., :3]" : ""));
  if (a.shape(0) == 0 || a.shape(1) == 0) throw py::value_error(std::string(name) + " is empty (shape " + shape_str(a) + ")");
  if (a.shape(0) > (1 << 20) || a.shape(1) > (1 << 20) || a.shape(0) * a.shape(1) > (py::ssize_t(1) << 28))
    throw py::value_error(std::string(name) + " is too large (shape " + shape_str(a) +
                          "): at most 2^28 pixels and 2^20 per side");

  py::dtype dt = a.dtype();
  const char kind = dt.kind();
  const py::ssize_t item = dt.itemsize();
  ImageArg out;
  out.keep_alive = py::reinterpret_borrow<py::object>(obj);
  ImageView& v = out.view;
  v.rows = static_cast<int>(a.shape(0));
  v.cols = static_cast<int>(a.shape(1));
  v.channels = channels;
  v.order = order;
  if (kind == 'u' && item == 1) {
    v.data = static_cast<const std::uint8_t*>(a.data());
    v.row_stride = a.strides(0);
    v.col_stride = a.strides(1);
    v.channel_stride = a.ndim() == 3 ? a.strides(2) : 1;
    return out;
  }
  if (kind == 'u' && item == 2) {
    ImageView16 v16;
    v16.data = static_cast<const unsigned char*>(a.data());
    v16.rows = v.rows;
    v16.cols = v.cols;
    v16.channels = channels;
    v16.row_stride = a.strides(0);
    v16.col_stride = a.strides(1);
    v16.channel_stride = a.ndim() == 3 ? a.strides(2) : 2;
    v16.big_endian = dt.byteorder() == '>';
    out.owned = narrow_16bit(v16);
    v.data = out.owned.data();
    v.col_stride = channels;
    v.row_stride = static_cast<std::ptrdiff_t>(v.cols) * channels;
    v.channel_stride = 1;
    out.copied = true;
    return out;
  }
  // The hint fits the dtype given: a float, integer or boolean image each needs its own conversion.
  std::string hint;
  if (kind == 'f')
    hint = "Convert float images with np.clip(img * 255, 0, 255).round().astype(np.uint8) (if they are in [0, 1]).";
  else if (kind == 'b')
    hint = "Convert a boolean mask with img.astype(np.uint8) * 255.";
  else if (kind == 'i' || kind == 'u')
    hint = "Convert integer images in 0-255 with np.clip(img, 0, 255).astype(np.uint8).";
  else
    hint = "Convert the image to uint8 first.";
  throw py::type_error(std::string(name) + " has dtype " + std::string(py::str(dt)) +
                       "; expected uint8 (0-255) or uint16 (scaled by 1/256). " + hint);
}

std::vector<double> finite_vector(const py::handle& obj, py::ssize_t n, const char* name) {
  py::array_t<double, py::array::forcecast> a;
  try {
    a = py::array_t<double, py::array::forcecast>::ensure(obj);
  } catch (py::error_already_set&) {
    a = py::array_t<double, py::array::forcecast>();
  }
  if (!a) throw py::type_error(std::string(name) + " must be a sequence of numbers");
  if (a.size() != n)
    throw py::value_error(std::string(name) + " must have " + std::to_string(n) + " values, got " + std::to_string(a.size()));
  std::vector<double> out(static_cast<std::size_t>(n));
  py::array_t<double, py::array::forcecast | py::array::c_style> flat = py::array_t<double, py::array::forcecast | py::array::c_style>::ensure(a);
  const double* d = flat.data();
  for (py::ssize_t i = 0; i < n; ++i) {
    if (!std::isfinite(d[i])) throw py::value_error(std::string(name) + " contains NaN or infinity");
    out[static_cast<std::size_t>(i)] = d[i];
  }
  return out;
}

}  // namespace pyfacelm::py_bindings
