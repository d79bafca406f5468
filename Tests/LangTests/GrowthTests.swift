// Growing a list one item at a time (`xs += [v]`, `xs = append(xs, v)`, `xs = xs + [v]`) is
// amortised O(1) per item, and keeps the language's value semantics.
import Foundation
import Testing

@testable import Lang

extension LangSuite {
  /// Seconds `source` takes to run with `N` replaced by `n` (the best of three runs), checked to
  /// give `n`.
  private func seconds(_ source: String, n: Int, sourceLocation: SourceLocation = #_sourceLocation) -> Double {
    let clock = ContinuousClock()
    var best = Double.infinity
    for _ in 0..<3 {
      var outcome: Interpreter.Outcome?
      let d = clock.measure { outcome = run(source.replacingOccurrences(of: "N", with: "\(n)")).1 }
      #expect(outcome?.error == nil, sourceLocation: sourceLocation)
      #expect(outcome?.value == .number(Double(n)), sourceLocation: sourceLocation)
      best = min(best, Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
    }
    return best
  }

  @Test func growingIsLinearInTheNumberOfItems() {
    // Quadratic before: 100k appends took about two minutes in a debug build. Four times the
    // items must take about four times as long (sixteen if each append copied the list); the
    // ratio of two timings, each the best of three, does not depend on how fast or busy the
    // machine is the way a limit in seconds does.
    let programs = [
      "xs = []\nfor i in 1..N { xs += [i] }\nlen(xs)",
      "xs = []\nfor i in 1..N { xs = append(xs, i) }\nlen(xs)",
      "xs = []\nfor i in 1..N { xs = xs + [i] }\nlen(xs)",
      "s = \"\"\nfor i in 1..N { s += \"a\" }\nlen(s)",
      "fn build(n) {\n  xs = []\n  for i in 1..n { xs += [i] }\n  xs\n}\nlen(build(N))",
    ]
    for p in programs {
      let small = seconds(p, n: 25_000), large = seconds(p, n: 100_000)
      #expect(large / small < 9, "\(p): 25 000 items in \(small) s, 100 000 in \(large) s")
    }
  }

  @Test func growingInPlaceKeepsValueSemantics() {
    let source = """
      xs = [1]
      ys = xs
      xs += [2]
      zs = xs
      xs = append(xs, 3)
      ws = xs
      xs = xs + [4]
      print(xs, ys, zs, ws)
      xs = append(xs, xs)
      print(xs)
      s = "a"
      t = s
      s += "b"
      print(s, t)
      g = [1]
      fn f() {
        g += [2]
        g
      }
      print(f(), g)
      n = 1
      n += 2
      print(n)
      """
    let (out, r) = run(source)
    #expect(r.error == nil)
    #expect(out == """
      [1, 2, 3, 4] [1] [1, 2] [1, 2, 3]
      [1, 2, 3, 4, [1, 2, 3, 4]]
      ab a
      [1, 2] [1]
      3

      """)
  }

  @Test func growingKeepsTheErrorsOfThePlainStatement() {
    #expect(errorOf("xs = [1]\nxs += 5")?.message == "cannot apply '+' to list and number")
    #expect(errorOf("xs = 5\nxs = append(xs, 1)")?.message == "append: 'list' must be a list, got 5")
    #expect(errorOf("ys += [1]")?.message.hasPrefix("undefined variable 'ys'") == true)
    #expect(errorOf("append = 3\nxs = [1]\nxs = append(xs, 2)")?.message == "cannot call a number")
    var small = Interpreter.Options()
    small.maxListLength = 3
    #expect(errorOf("xs = [1, 2, 3]\nxs += [4]", options: small)?.message == "list too long (more than 3 items)")
    #expect(errorOf("xs = [1, 2, 3]\nxs = append(xs, 4)", options: small)?.message == "append: list too long")
    #expect(errorOf("xs = [1, 2, 3]\nxs = append(xs, 4)", options: small)?.span.line == 2)
  }
}
