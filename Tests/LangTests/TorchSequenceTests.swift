// lebm's lstm and cross_entropy against PyTorch's nn.LSTM(batch_first=True) and
// F.cross_entropy on the same weights and inputs, run with the Python named by LEBM_TEST_PYTHON
// (skipped, with the reason, when it is unset or lacks torch or safetensors). Tensors go both ways
// through safetensors files in a scratch folder.
import Engine
import Foundation
import Lang
import Support
import XCTest

final class TorchSequenceTests: XCTestCase {
  /// Outputs, final states and the gradients of a scalar loss with respect to x, h0, c0 and every
  /// weight of a 2-layer LSTM, then cross_entropy's four reductions and its gradient (masked, and
  /// not): each within 1e-5 (largest absolute difference) of PyTorch's.
  func testLSTMAndCrossEntropyMatchPyTorch() throws {
    let py = try PythonTest.python(["torch", "safetensors"])
    let dir = try PythonTest.scratch()
    defer { try? removeTree(dir) }
    let mine = PythonTest.runLebm("""
      seed(11)
      L = lstm(5, 4, layers: 2)
      x = randn([3, 6, 5]); h0 = randn([2, 3, 4]); c0 = randn([2, 3, 4])
      w1 = randn([3, 6, 4]); w2 = randn([2, 3, 4]); w3 = randn([2, 3, 4])
      fn f(x, h0, c0) { r = L(x, h0, c0); sum(r.out * w1) + sum(r.h * w2) + sum(r.c * w3) }
      r = L(x, h0, c0)
      P = params(L)
      G = grad(fn() { f(x, h0, c0) }, P)
      out = {x: x, h0: h0, c0: c0, w1: w1, w2: w2, w3: w3, out: r.out, h: r.h, c: r.c, out0: L(x).out}
      out["grad.x"] = grad(fn(v) { f(v, h0, c0) }, x)
      out["grad.h0"] = grad(fn(v) { f(x, v, c0) }, h0)
      out["grad.c0"] = grad(fn(v) { f(x, h0, v) }, c0)
      for k in keys(P) { out[k] = P[k]; out["grad." + k] = G[k] }

      logits = randn([3, 6, 7]) * 3; y = argmax(randn([3, 6, 7]), axis: -1)
      m = tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0]]); wr = randn([3, 6])
      out.logits = logits; out.y = y; out.m = m; out.wr = wr
      for red in ["none", "rows", "sum", "mean"] { out["ce_" + red] = cross_entropy(logits, y, mask: m, reduction: red) }
      out["grad.logits"] = grad(fn(v) { sum(cross_entropy(v, y, mask: m, reduction: "none") * wr) }, logits)
      out["grad_mean.logits"] = grad(fn(v) { cross_entropy(v, y, mask: m, reduction: "mean") }, logits)
      logits2 = randn([8, 7]) * 2; y2 = argmax(randn([8, 7]), axis: -1)
      out.logits2 = logits2; out.y2 = y2
      out.ce2 = cross_entropy(logits2, y2)
      out["grad2.logits"] = grad(fn(v) { cross_entropy(v, y2, reduction: "mean") }, logits2)
      save_tensors(out, "{dir}/lebm.safetensors")
      """, in: dir)
    _ = try PythonTest.runPython(py, #"""
      from importlib import import_module
      torch, F = import_module("torch"), import_module("torch.nn.functional")
      from safetensors.torch import load_file, save_file
      torch.set_num_threads(1)
      t = load_file("lebm.safetensors")
      lstm = torch.nn.LSTM(5, 4, num_layers=2, batch_first=True)
      lstm.load_state_dict({k: t[k] for k in lstm.state_dict()})
      x, h0, c0 = (t[k].clone().requires_grad_() for k in ("x", "h0", "c0"))
      out, (h, c) = lstm(x, (h0, c0))
      ((out * t["w1"]).sum() + (h * t["w2"]).sum() + (c * t["w3"]).sum()).backward()
      res = {"out": out, "h": h, "c": c, "grad.x": x.grad, "grad.h0": h0.grad, "grad.c0": c0.grad, "out0": lstm(t["x"])[0]}
      for k, p in lstm.named_parameters():
          res["grad." + k] = p.grad

      y, m = t["y"].long(), t["m"]
      V = t["logits"].shape[-1]
      ignored = torch.where(m > 0, y, torch.full_like(y, -100)).reshape(-1)
      def ce(logits, reduction):
          return F.cross_entropy(logits.reshape(-1, V), ignored, reduction=reduction, ignore_index=-100)
      logits = t["logits"].clone().requires_grad_()
      none = ce(logits, "none").reshape(y.shape)
      res.update({"ce_none": none, "ce_rows": none.sum(1), "ce_sum": ce(logits, "sum"), "ce_mean": ce(logits, "mean")})
      (none * t["wr"]).sum().backward()
      res["grad.logits"] = logits.grad
      logits = t["logits"].clone().requires_grad_()
      ce(logits, "mean").backward()
      res["grad_mean.logits"] = logits.grad
      logits2 = t["logits2"].clone().requires_grad_()
      res["ce2"] = F.cross_entropy(logits2, t["y2"].long(), reduction="none")
      F.cross_entropy(logits2, t["y2"].long()).backward()
      res["grad2.logits"] = logits2.grad
      save_file({k: v.detach().contiguous() for k, v in res.items()}, "torch.safetensors")
      """#, in: dir)
    let theirs = PythonTest.runLebm(#"t = load_tensors("{dir}/torch.safetensors")"#, in: dir)
    guard case .record(let torch)? = theirs[variable: "t"] else { return XCTFail("no torch.safetensors") }
    let weights = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"]
    let keys = ["out", "h", "c", "out0", "grad.x", "grad.h0", "grad.c0"] + weights.map { "grad." + $0 }
      + ["ce_none", "ce_rows", "ce_sum", "ce_mean", "grad.logits", "grad_mean.logits", "ce2", "grad2.logits"]
    XCTAssertEqual(Set(torch.keys), Set(keys), "PyTorch wrote every result")
    for key in keys {
      let a = try XCTUnwrap(PythonTest.tensor(mine, "out", key), "lebm has no \(key)")
      guard case .tensor(let b)? = torch[key] else { XCTFail("PyTorch has no \(key)"); continue }
      XCTAssertEqual(a.shape, b.shape, key)
      XCTAssertLessThanOrEqual(PythonTest.maxDifference(a, b), 1e-5, "\(key): lebm and PyTorch differ")
      if a.count > 1 { XCTAssertGreaterThan(a.scalars.max()! - a.scalars.min()!, 1e-3, "\(key) is constant") }
    }
  }
}
