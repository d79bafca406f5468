// Growing a list one item at a time (`xs += [v]`, `xs = append(xs, v)`, `xs = xs + [v]`) is
// amortised O(1) per item, and keeps the language's value semantics.
import Testing

@testable import Lang

extension LangSuite {
  /// Seconds `source` takes to run, checked to succeed.
  private func seconds(_ source: String, sourceLocation: SourceLocation = #_sourceLocation) -> Double {
    let clock = ContinuousClock()
    var outcome: Interpreter.Outcome?
    let d = clock.measure { outcome = run(source).1 }
    #expect(outcome?.error == nil, sourceLocation: sourceLocation)
    #expect(outcome?.value == .number(100_000), sourceLocation: sourceLocation)
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }

  @Test func appendingAHundredThousandItemsIsFast() {
    // Quadratic before: 100k appends took about two minutes in a debug build.
    #expect(seconds("xs = []\nfor i in 1..100000 { xs += [i] }\nlen(xs)") < 2)
    #expect(seconds("xs = []\nfor i in 1..100000 { xs = append(xs, i) }\nlen(xs)") < 2)
    #expect(seconds("xs = []\nfor i in 1..100000 { xs = xs + [i] }\nlen(xs)") < 2)
    #expect(seconds("s = \"\"\nfor i in 1..100000 { s += \"a\" }\nlen(s)") < 2)
    #expect(seconds("fn build(n) {\n  xs = []\n  for i in 1..n { xs += [i] }\n  xs\n}\nlen(build(100000))") < 2)
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
