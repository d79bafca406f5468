// lebm's safetensors files against NumPy and PyTorch, run with the Python named by
// LEBM_TEST_PYTHON (skipped, with the reason, when it is unset or lacks numpy, safetensors or
// torch): tensors both ways, the checkpoint opened by docs/pytorch.md's snippet, and
// load_weights from state_dicts PyTorch wrote.
import Engine
import Foundation
import Lang
import Support
import XCTest

final class PyTorchInteropTests: XCTestCase {
  // MARK: - NumPy

  /// lebm's save_tensors → safetensors.numpy.load_file: float32 arrays with the same bits, and the metadata.
  func testNumPyReadsSaveTensorsExactly() throws {
    let py = try PythonTest.python(["numpy", "safetensors"])
    let dir = try PythonTest.scratch()
    defer { try? removeTree(dir) }
    let interp = PythonTest.runLebm("""
      seed(7)
      z = randn([5, 3])
      x = tensor([0.1, -0.0, 1e-40, 3.4e38, -2.5, 1/3])
      t = {z: z, x: x, s: tensor(2.5), empty: zeros([0, 4])}
      save_tensors(t, "lebm.safetensors", metadata: {note: "from lebm"})
      write_csv(concat([z, z / 7], axis: 1), "z.csv", header: ["a", "b, c", "d", "e", "f", "g"])
      zz = concat([z, z / 7], axis: 1)
      """, in: dir)
    let out = try PythonTest.runPython(py, #"""
      from importlib import import_module  # (no line starting "import": ImportGraphTests reads those)
      json, sys = import_module("json"), import_module("sys")
      from safetensors import safe_open
      from safetensors.numpy import load_file
      d = load_file(sys.argv[1])
      out = {k: {"dtype": str(v.dtype), "shape": list(v.shape), "hex": v.astype("<f4").tobytes().hex()} for k, v in d.items()}
      out["__metadata__"] = safe_open(sys.argv[1], "np").metadata()
      csv, np = import_module("csv"), import_module("numpy")
      out["csv_header"] = next(csv.reader(open("z.csv")))
      out["csv_hex"] = np.loadtxt("z.csv", delimiter=",", skiprows=1, dtype=np.float32).astype("<f4").tobytes().hex()
      print(json.dumps(out))
      """#, [dir + "/lebm.safetensors"], in: dir)
    let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
    XCTAssertEqual(json["__metadata__"] as? [String: String], ["note": "from lebm"])
    // write_csv: the header as Python's csv module reads it, the values back to the same bits.
    XCTAssertEqual(json["csv_header"] as? [String], ["a", "b, c", "d", "e", "f", "g"])
    XCTAssertEqual(json["csv_hex"] as? String, hex(try XCTUnwrap(PythonTest.tensor(interp, "zz"))), "write_csv → numpy.loadtxt")
    for name in ["z", "x", "s", "empty"] {
      let t = try XCTUnwrap(PythonTest.tensor(interp, "t", name))
      let entry = try XCTUnwrap(json[name] as? [String: Any], "NumPy did not read '\(name)'")
      XCTAssertEqual(entry["dtype"] as? String, "float32")
      XCTAssertEqual(entry["shape"] as? [Int], t.shape, name)
      XCTAssertEqual(entry["hex"] as? String, hex(t), "the bits of '\(name)'")
    }
  }

  /// The tensor's float32 values as little-endian hex, as NumPy's `tobytes().hex()` writes them.
  func hex(_ t: Tensor) -> String {
    t.scalars.map { v in (0..<4).map { String(format: "%02x", (v.bitPattern >> (8 * $0)) & 0xff) }.joined() }.joined()
  }

  /// safetensors.numpy.save_file (F32, F16, F64) → lebm's load_tensors: F32 bit for bit, F16
  /// exactly (every F16 is a float32), F64 rounded to the nearest float32, as NumPy rounds it.
  func testLoadTensorsReadsNumPyDTypes() throws {
    let py = try PythonTest.python(["numpy", "safetensors"])
    let dir = try PythonTest.scratch()
    defer { try? removeTree(dir) }
    _ = try PythonTest.runPython(py, #"""
      from importlib import import_module
      np = import_module("numpy")
      from safetensors.numpy import save_file
      a = np.random.default_rng(0).standard_normal((4, 3)) * 10
      a[0, 0] = 1 / 3
      save_file({"f32": a.astype(np.float32), "f16": a.astype(np.float16), "f64": a,
                 "scalar": np.array(1.5, dtype=np.float32)}, "numpy.safetensors")
      save_file({"f32": a.astype(np.float32), "f16": a.astype(np.float16).astype(np.float32),
                 "f64": a.astype(np.float32), "exact": a.astype(np.float64).astype(np.float32),
                 "scalar": np.array(1.5, dtype=np.float32)}, "expected.safetensors")
      """#, in: dir)
    let interp = PythonTest.runLebm("""
      r = load_tensors("{dir}/numpy.safetensors")
      e = load_tensors("{dir}/expected.safetensors")
      names = keys(r)
      """, in: dir)
    // NumPy's writer orders the data by dtype, not by the dict: lebm keeps the data's order.
    guard case .list(let names)? = interp[variable: "names"] else { return XCTFail("no names") }
    XCTAssertEqual(Set(names.compactMap { if case .string(let s) = $0 { return s }; return nil }), Set(["f32", "f16", "f64", "scalar"]))
    for name in ["f32", "f16", "f64", "scalar"] {
      let got = try XCTUnwrap(PythonTest.tensor(interp, "r", name)), want = try XCTUnwrap(PythonTest.tensor(interp, "e", name))
      XCTAssertEqual(got.shape, want.shape, name)
      XCTAssertEqual(got.scalars.map(\.bitPattern), want.scalars.map(\.bitPattern), "'\(name)' differs from NumPy's float32 conversion")
    }
    // F16 keeps about 3 decimal digits: the values are near the originals, not equal to them.
    let f16 = try XCTUnwrap(PythonTest.tensor(interp, "r", "f16")), exact = try XCTUnwrap(PythonTest.tensor(interp, "e", "exact"))
    for (h, x) in zip(f16.scalars, exact.scalars) { XCTAssertEqual(h, x, accuracy: abs(x) * 0x1p-11 + 1e-7) }
    XCTAssertNotEqual(f16.scalars, exact.scalars)
  }

  /// BF16 written by PyTorch → load_tensors: exactly torch's own float32 conversion.
  func testLoadTensorsReadsTorchBFloat16() throws {
    let py = try PythonTest.python(["torch", "safetensors"])
    let dir = try PythonTest.scratch()
    defer { try? removeTree(dir) }
    _ = try PythonTest.runPython(py, #"""
      from importlib import import_module
      torch = import_module("torch")
      from safetensors.torch import save_file
      g = torch.Generator().manual_seed(0)
      a = torch.randn(6, 5, generator=g) * 100
      save_file({"b": a.to(torch.bfloat16), "h": a.to(torch.float16), "d": a.double()}, "torch.safetensors")
      save_file({"b": a.to(torch.bfloat16).float(), "h": a.to(torch.float16).float(), "d": a}, "expected.safetensors")
      """#, in: dir)
    let interp = PythonTest.runLebm("""
      r = load_tensors("{dir}/torch.safetensors")
      e = load_tensors("{dir}/expected.safetensors")
      """, in: dir)
    for name in ["b", "h", "d"] {
      let got = try XCTUnwrap(PythonTest.tensor(interp, "r", name)), want = try XCTUnwrap(PythonTest.tensor(interp, "e", name))
      XCTAssertEqual(got.shape, [6, 5])
      XCTAssertEqual(got.scalars.map(\.bitPattern), want.scalars.map(\.bitPattern), "'\(name)' differs from torch's float32 conversion")
    }
  }

  // MARK: - The checkpoint in PyTorch

  /// docs/pytorch.md's `load_lebm`, run as written: an MLP model, a residual energy with the
  /// 32-pixel conv generator, the 28-pixel one and the 64-pixel one (the paper's CelebA net) give
  /// lebm's energies and samples on the same z to 1e-5.
  func testDocsSnippetOpensCheckpointsInPyTorch() throws {
    let py = try PythonTest.python(["torch", "safetensors"])
    let snippet = try PythonTest.snippet("load_lebm")
    let dir = try PythonTest.scratch()
    defer { try? removeTree(dir) }
    PythonTest.runLebm("""
      seed(11)
      models = {
        mlp: latent_ebm(energy_net(3, hidden: [16, 8], act: "gelu", form: "softplus"), generator(3, hidden: [12, 6], out: 5, act: "silu")),
        conv32: latent_ebm(residual_energy_net(6, width: 10, blocks: 2, form: "tanh"), conv_generator(6, size: 32, channels: 3, ngf: 4)),
        conv28: latent_ebm(energy_net(4, hidden: [8], act: "mish", form: "sigmoid"), conv_generator(4, size: 28, channels: 1, ngf: 3)),
        conv64: latent_ebm(energy_net(5, hidden: [8]), conv_generator(5, size: 64, channels: 3, ngf: 2)),
      }
      for name in keys(models) {
        m = models[name]
        save(m, "{name}.safetensors")
        z = randn([7, m.latent]) * 2
        save_tensors({z: z, e: m.energy(z), x: m.generator(z)}, "{name}_lebm.safetensors")
      }
      """, in: dir)
    _ = try PythonTest.runPython(py, snippet + #"""

      from sys import argv
      from safetensors.torch import save_file
      torch.set_num_threads(1)
      for name in argv[1:]:
          E, G = load_lebm(name + ".safetensors")
          z = load_file(name + "_lebm.safetensors")["z"]
          with torch.no_grad():
              save_file({"e": E(z).contiguous(), "x": G(z).contiguous()}, name + "_torch.safetensors")
      """#, ["mlp", "conv32", "conv28", "conv64"], in: dir)
    for (name, xShape) in [("mlp", [7, 5]), ("conv32", [7, 3, 32, 32]), ("conv28", [7, 1, 28, 28]), ("conv64", [7, 3, 64, 64])] {
      let interp = PythonTest.runLebm("""
        a = load_tensors("{dir}/\(name)_lebm.safetensors")
        b = load_tensors("{dir}/\(name)_torch.safetensors")
        """, in: dir)
      for part in ["e", "x"] {
        let mine = try XCTUnwrap(PythonTest.tensor(interp, "a", part)), theirs = try XCTUnwrap(PythonTest.tensor(interp, "b", part))
        XCTAssertEqual(mine.shape, part == "e" ? [7] : xShape, "\(name).\(part)")
        XCTAssertLessThanOrEqual(PythonTest.maxDifference(mine, theirs), 1e-5, "\(name).\(part): lebm and PyTorch differ")
        // The comparison means something only if the outputs vary.
        XCTAssertGreaterThan(mine.scalars.max()! - mine.scalars.min()!, 1e-3, "\(name).\(part) is constant")
      }
    }
  }

  // MARK: - load_weights from PyTorch

  /// The reference code's nets (`_netE.ebm`, `_netG.gen` with its Identity layers) made in
  /// PyTorch, converted by docs/pytorch.md's `reference_to_lebm` and saved in F32 and F16:
  /// load_weights gives PyTorch's energies and images on the same z to 1e-5 (F16 against
  /// PyTorch run on the same F16-rounded weights); `prefix: "ebm."` reads a bare netE.state_dict().
  func testLoadWeightsFromTorchStateDicts() throws {
    let py = try PythonTest.python(["torch", "safetensors"])
    let convert = try PythonTest.snippet("convert_reference")
    let dir = try PythonTest.scratch()
    defer { try? removeTree(dir) }
    _ = try PythonTest.runPython(py, convert + #"""

      from importlib import import_module
      torch = import_module("torch")
      from torch import nn
      from safetensors.torch import save_file
      torch.set_num_threads(1)
      torch.manual_seed(0)
      nz, ngf, ndf = 6, 4, 16
      class NetE(nn.Module):
          def __init__(self):
              super().__init__()
              self.ebm = nn.Sequential(nn.Linear(nz, ndf), nn.GELU(), nn.Linear(ndf, ndf), nn.GELU(), nn.Linear(ndf, 1))
          def forward(self, z):
              return self.ebm(z).squeeze(1)
      class NetG(nn.Module):
          def __init__(self):
              super().__init__()
              f = nn.LeakyReLU(0.2)
              self.gen = nn.Sequential(
                  nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0), nn.Identity(), f,
                  nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1), nn.Identity(), f,
                  nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1), nn.Identity(), f,
                  nn.ConvTranspose2d(ngf * 2, 3, 4, 2, 1), nn.Tanh())
          def forward(self, z):
              return self.gen(z.view(-1, nz, 1, 1))
      E, G = NetE(), NetG()
      z = torch.randn(5, nz) * 2
      state = reference_to_lebm(E.state_dict(), G.state_dict())
      save_file(state, "ref32.safetensors")
      save_file({k: v.half() for k, v in state.items()}, "ref16.safetensors")
      save_file({k: v.half().double() for k, v in E.state_dict().items()}, "netE64.safetensors")
      with torch.no_grad():
          save_file({"z": z, "e": E(z), "x": G(z).contiguous()}, "expected32.safetensors")
          E.load_state_dict({k: v.half().float() for k, v in E.state_dict().items()})
          G.load_state_dict({k: v.half().float() for k, v in G.state_dict().items()})
          save_file({"z": z, "e": E(z), "x": G(z).contiguous()}, "expected16.safetensors")
      """#, in: dir)
    let interp = PythonTest.runLebm("""
      fn reference() { latent_ebm(energy_net(6, hidden: [16, 16], act: "gelu"), conv_generator(6, size: 32, channels: 3, ngf: 4)) }
      m32 = reference()
      n = load_weights(m32, "{dir}/ref32.safetensors")
      r32 = load_tensors("{dir}/expected32.safetensors")
      m16 = reference()
      load_weights(m16, "{dir}/ref16.safetensors")
      r16 = load_tensors("{dir}/expected16.safetensors")
      out = {e32: m32.energy(r32.z), x32: m32.generator(r32.z), want_e32: r32.e, want_x32: r32.x,
             e16: m16.energy(r16.z), x16: m16.generator(r16.z), want_e16: r16.e, want_x16: r16.x}
      E = energy_net(6, hidden: [16, 16], act: "gelu")
      n_e = load_weights(E, "{dir}/netE64.safetensors", prefix: "ebm.")
      e64 = E(r16.z)
      """, in: dir)
    XCTAssertEqual(interp[variable: "n"], .number(14))  // 3 Linears and 4 ConvTranspose2d, weight and bias each
    XCTAssertEqual(interp[variable: "n_e"], .number(6))
    for key in ["e32", "x32", "e16", "x16"] {
      let mine = try XCTUnwrap(PythonTest.tensor(interp, "out", key)), theirs = try XCTUnwrap(PythonTest.tensor(interp, "out", "want_" + key))
      XCTAssertLessThanOrEqual(PythonTest.maxDifference(mine, theirs), 1e-5, "\(key): lebm and PyTorch differ")
      XCTAssertGreaterThan(mine.scalars.max()! - mine.scalars.min()!, 1e-3, "\(key) is constant")
    }
    // F64 weights that hold F16 values convert exactly: the same energies as from the F16 file.
    let e64 = try XCTUnwrap(PythonTest.tensor(interp, "e64")), e16 = try XCTUnwrap(PythonTest.tensor(interp, "out", "want_e16"))
    XCTAssertLessThanOrEqual(PythonTest.maxDifference(e64, e16), 1e-5)
  }
}
