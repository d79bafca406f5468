// save_npy and load_npy against NumPy, with the Python named by LEBM_TEST_PYTHON (skipped, with
// the reason, when it is unset or lacks numpy): docs/pytorch.md's snippet as written, the bits of
// every value both ways, and the dtypes numpy.save writes read as float32.
import Engine
import Foundation
import Lang
import Support
import XCTest

final class NPYInteropTests: XCTestCase {
  /// save_npy → the doc's snippet (np.load, mmap, np.save) → load_npy, bit for bit.
  func testDocsSnippetRoundTripsThroughNumPy() throws {
    let py = try PythonTest.python(["numpy"])
    let dir = try PythonTest.scratch()
    defer { try? removeTree(dir) }
    let snippet = try PythonTest.snippet("npy_files")
    PythonTest.runLebm("""
      seed(3)
      x = concat([randn([4, 3]), tensor([[0.1, -0.0, 1e-40], [3.4e38, -2.5, 1/3]])])
      save_npy(x, "x.npy")
      """, in: dir)
    let out = try PythonTest.runPython(py, snippet + #"""
      print(x.shape, x.dtype, x.astype("<f4").tobytes().hex())
      """#, in: dir)
    let interp = PythonTest.runLebm("""
      x = load_npy("{dir}/x.npy")
      doubled = load_npy("{dir}/doubled.npy")
      pixels = load_npy("{dir}/pixels.npy")
      """, in: dir)
    let x = try XCTUnwrap(PythonTest.tensor(interp, "x"))
    XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "(6, 3) float32 \(hex(x))")
    XCTAssertEqual(try XCTUnwrap(PythonTest.tensor(interp, "doubled")).scalars, x.scalars.map { 2 * $0 })
    let pixels = try XCTUnwrap(PythonTest.tensor(interp, "pixels"))
    XCTAssertEqual(pixels.shape, [16, 16])
    XCTAssertEqual(pixels.scalars, (0..<256).map(Float.init))
  }

  /// numpy.save of each dtype load_npy converts, as NumPy itself converts it to float32
  /// (`a.astype(np.float32)`), and the ones it refuses, each naming the file.
  func testLoadNPYReadsWhatNumPySaves() throws {
    let py = try PythonTest.python(["numpy"])
    let dir = try PythonTest.scratch()
    defer { try? removeTree(dir) }
    let kinds = ["<f8", "<f2", ">f4", "|u1", "|i1", "<i2", "<i4", "<i8", "<u8", "<u2"]
    let out = try PythonTest.runPython(py, #"""
      import numpy as np
      rng = np.random.default_rng(1)
      for kind in ["<f8", "<f2", ">f4", "|u1", "|i1", "<i2", "<i4", "<i8", "<u8", "<u2"]:
          t = np.dtype(kind)
          a = (rng.normal(0, 1e3, (3, 5)) if t.kind == "f" else rng.integers(np.iinfo(t).min, np.iinfo(t).max, (3, 5), dtype=t, endpoint=True)).astype(t)
          np.save(f"{kind[1:]}_{'be' if kind[0] == '>' else 'le'}.npy", a)
          print(a.astype(np.float32).astype("<f4").tobytes().hex())
      np.save("fortran.npy", np.asfortranarray(np.ones((2, 3), np.float32)))
      np.save("objects.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
      np.save("complex.npy", np.ones(3, np.complex64))
      np.save("bool.npy", np.ones(3, bool))
      """#, in: dir)
    let expected = out.split(separator: "\n").map(String.init)
    XCTAssertEqual(expected.count, kinds.count)
    for (kind, hexBits) in zip(kinds, expected) {
      let name = "\(kind.dropFirst())_\(kind.hasPrefix(">") ? "be" : "le").npy"
      let interp = PythonTest.runLebm("t = load_npy(\"{dir}/\(name)\")", in: dir)
      let t = try XCTUnwrap(PythonTest.tensor(interp, "t"), kind)
      XCTAssertEqual(t.shape, [3, 5], kind)
      XCTAssertEqual(hex(t), hexBits, "\(kind) converts to the float32 NumPy gives")
    }
    for (name, problem) in [
      ("fortran.npy", "the array is in Fortran order"), ("objects.npy", "an object array (dtype '|O')"),
      ("complex.npy", "dtype '<c8' is not read"), ("bool.npy", "dtype '|b1' is not read"),
    ] {
      let message = PythonTest.lebmError("load_npy(\"{dir}/\(name)\")", in: dir) ?? "no error"
      XCTAssertTrue(message.hasPrefix("load_npy: \(dir)/\(name): ") && message.contains(problem), message)
    }
  }

  /// The tensor's float32 values as little-endian hex, as NumPy's `tobytes().hex()` writes them.
  func hex(_ t: Tensor) -> String {
    t.scalars.map { v in (0..<4).map { String(format: "%02x", (v.bitPattern >> (8 * $0)) & 0xff) }.joined() }.joined()
  }
}
