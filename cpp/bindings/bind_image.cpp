// Image entry points: gray conversion and a debug view of how an array is read.
#include "common.hpp"
#include "common/errors.hpp"

namespace pyfacelm::py_bindings {

void bind_image(py::module_& m) {
  m.def(
      "to_gray",
      [](const py::handle& image, const std::string& color) {
        ImageArg arg = image_from_python(image, color);
        py::array_t<std::uint8_t> out({arg.view.rows, arg.view.cols});
        std::uint8_t* dst = out.mutable_data();
        {
          py::gil_scoped_release release;
          to_gray_into(arg.view, dst);
        }
        return out;
      },
      py::arg("image"), py::arg("color") = "bgr",
      R"doc(Convert an image to 8-bit gray exactly as OpenFace does (OpenCV's fixed-point BGR->gray).

image: uint8 (H, W) or (H, W, 3) array, any strides; uint16 is scaled by 1/256 first.
color: channel order of a 3-channel image, 'bgr' (OpenCV, default) or 'rgb'.
Returns a new (H, W) uint8 array.)doc");

  m.def(
      "_to_gray_kernel",
      [](const py::handle& image, const std::string& color, const std::string& kernel) {
        ImageArg arg = image_from_python(image, color);
        GrayKernel k = GrayKernel::best;
        if (kernel == "baseline") k = GrayKernel::baseline;
        else if (kernel == "scalar") k = GrayKernel::scalar;
        else if (kernel != "best") throw InvalidArgument("kernel must be 'best', 'baseline' or 'scalar'");
        py::array_t<std::uint8_t> out({arg.view.rows, arg.view.cols});
        to_gray_into(arg.view, out.mutable_data(), k);
        return out;
      },
      py::arg("image"), py::arg("color"), py::arg("kernel"),
      "Test hook: to_gray with a chosen row loop ('best', 'baseline' = no AVX2, 'scalar').");

  m.def(
      "_image_view_info",
      [](const py::handle& image, const std::string& color) {
        ImageArg arg = image_from_python(image, color);
        py::dict d;
        d["data"] = reinterpret_cast<std::uintptr_t>(arg.view.data);
        d["rows"] = arg.view.rows;
        d["cols"] = arg.view.cols;
        d["channels"] = arg.view.channels;
        d["strides"] = py::make_tuple(arg.view.row_stride, arg.view.col_stride, arg.view.channel_stride);
        d["copied"] = arg.copied;
        return d;
      },
      py::arg("image"), py::arg("color") = "bgr",
      "Debug hook: how the bindings see an image (data pointer, strides, whether it was copied).");
}

}  // namespace pyfacelm::py_bindings
