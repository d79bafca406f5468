// Unit tests of the public API the REPL and other builtin groups use.
import Engine
import Testing

@testable import Lang

/// Runs `source` in a fresh interpreter; returns the output and the outcome. Every interpreter in
/// these tests gets an interrupt flag of its own: Ctrl-C's shared flag is set by the REPL's tests,
/// which run at the same time in this process, and would stop a script here mid-way.
func run(_ source: String, options: Interpreter.Options = Interpreter.Options()) -> (String, Interpreter.Outcome) {
  var out = ""
  let interp = Interpreter(options: options, output: { out += $0 })
  interp.interruptFlag = InterruptFlag()
  let r = interp.run(source, file: "test.lebm")
  return (out, r)
}

func errorOf(_ source: String, options: Interpreter.Options = Interpreter.Options()) -> ScriptError? {
  if case .failure(let e) = run(source, options: options).1 { return e }
  return nil
}

extension LangSuite {
  @Test func checkCompleteness() {
    #expect(Parser.check("x = 1") == .complete)
    #expect(Parser.check("") == .complete)
    #expect(Parser.check("f(1,") == .incomplete)
    #expect(Parser.check("x = 1 +") == .incomplete)
    #expect(Parser.check("for i in 1..3 {") == .incomplete)
    #expect(Parser.check("fn f(a) {\n  a + 1\n") == .incomplete)
    #expect(Parser.check("[1, 2,\n3") == .incomplete)
    #expect(Parser.check("if x { 1 } else {") == .incomplete)
    #expect(Interpreter.check("{a: 1,") == .incomplete)
    guard case .invalid(let e) = Parser.check("x = )") else { Issue.record("expected invalid"); return }
    #expect(e.span == SourceSpan(line: 1, column: 5))
    guard case .invalid = Parser.check("\"abc") else { Issue.record("unterminated string is invalid"); return }
    guard case .invalid = Parser.check("x = 1 1") else { Issue.record("expected invalid"); return }
  }

  @Test func renderedErrorHasPositionLineAndCaret() {
    let src = "fn f(x) {\n  x + \"a\"\n}\nf(1)"
    guard let e = errorOf(src) else { Issue.record("expected an error"); return }
    #expect(e.kind == .runtime)
    #expect(e.span.line == 2 && e.span.column == 5)
    #expect(e.stack == [StackFrame(function: "f", file: "test.lebm", span: SourceSpan(line: 4, column: 1))])
    let r = e.rendered(source: src)
    #expect(r == """
      test.lebm:2:5: error: cannot apply '+' to number and string
            x + "a"
              ^
        in f at test.lebm:4:1
      """)
  }

  @Test func syntaxErrorsRecoverAndReportSeveral() {
    guard let e = errorOf("x = 1 + * 2\ny = 2\nz = ]\nw = 3") else { Issue.record("expected an error"); return }
    #expect(e.kind == .syntax)
    #expect(e.others.count == 1)
    #expect(e.span == SourceSpan(line: 1, column: 9))
    #expect(e.rendered().contains("test.lebm:3:5: error: expected an expression, got ']'"))
  }

  @Test func outputGoesThroughTheSink() {
    let (out, r) = run("print(\"a\", 1)\nprint([1, \"b\"], {k: none})\n3 * 4")
    #expect(out == "a 1\n[1, \"b\"] {k: none}\n")
    guard case .value(let v) = r else { Issue.record("expected a value"); return }
    #expect(v == .number(12))
    #expect(v.description == "12")
  }

  @Test func valuesEchoReadably() {
    func echo(_ s: String) -> String {
      if case .value(let v) = run(s).1 { return v.description }
      return "error"
    }
    #expect(echo("\"hi\"") == "\"hi\"")
    #expect(echo("fn add(a, b: 2) { a + b }\nadd") == "<fn add(a, b)>")
    #expect(echo("fn(v) { v }") == "<fn (v)>")
    #expect(echo("zeros") == "<builtin zeros(shape, grad)>")
    #expect(echo("x = 1") == "none")
    #expect(echo("ones([2, 2])") == "tensor([[1, 1],\n        [1, 1]])")
    #expect(echo("1.5") == "1.5")
  }

  @Test func globalsPersistAcrossRuns() {
    let interp = Interpreter(output: { _ in })
    interp.interruptFlag = InterruptFlag()
    _ = interp.run("x = 41")
    guard case .value(let v) = interp.run("x + 1") else { Issue.record("expected a value"); return }
    #expect(v == .number(42))
    #expect(interp.variables.map(\.name) == ["x"])
    interp.reset()
    #expect(interp[variable: "x"] == nil)
  }

  @Test func completionsCoverBuiltinsVariablesKeywordsAndFields() {
    let interp = Interpreter(output: { _ in })
    interp.interruptFlag = InterruptFlag()
    _ = interp.run("samples = 1\ncfg = {steps: 60, step: 0.4, lr: 1}")
    #expect(interp.completions(prefix: "sampl") == ["sample_posterior", "sample_prior", "samples"])
    #expect(interp.completions(prefix: "rand").contains("randn_like"))
    #expect(interp.completions(prefix: "whi") == ["while"])
    #expect(interp.completions(prefix: "cfg.st") == ["cfg.step", "cfg.steps"])
    #expect(interp.completions(prefix: "nothing.x") == [])
    #expect(interp.keywordNames(of: "randn") == ["shape", "std", "rng"])
    _ = interp.run("fn f(a, n: 5) { a }")
    #expect(interp.keywordNames(of: "f") == ["a", "n"])
    #expect(interp.keywordNames(of: "print") == ["sep", "end", "limit"])
    #expect(interp.help(for: "zeros")?.hasPrefix("zeros(shape, grad: false)") == true)
  }

  @Test func stepBudgetStopsInfiniteLoops() {
    var o = Interpreter.Options()
    o.maxSteps = 1000
    let e = errorOf("while true { }", options: o)
    #expect(e?.message == "step budget exhausted (more than 1000 steps)")
  }

  @Test func deepRecursionIsAnErrorNotACrash() {
    let e = errorOf("fn f(x) { f(x) }\nf(1)")
    #expect(e?.message == "stack overflow: recursion deeper than 400 calls")
    #expect(e?.stack.count == 400)
    // Deep but allowed recursion works.
    let (_, r) = run("fn d(n) { if n == 0 { 0 } else { 1 + d(n - 1) } }\nd(390)")
    if case .value(let v) = r { #expect(v == .number(390)) } else { Issue.record("expected a value") }
  }

  @Test func deepRecursionWithDeepExpressionsStaysOnTheStack() {
    // 400 calls, each evaluating an expression nested as deep as the parser allows.
    let nested = String(repeating: "1 + (", count: 95) + "f(n - 1)" + String(repeating: ")", count: 95)
    let e = errorOf("fn f(n) { if n == 0 { 0 } else { \(nested) } }\nf(10000)")
    #expect(e?.message.hasPrefix("stack overflow: recursion deeper than") == true)
    let unary = String(repeating: "-", count: 190) + "f(n - 1)"
    let e2 = errorOf("fn f(n) { if n == 0 { 0 } else { \(unary) } }\nf(10000)")
    #expect(e2?.message.hasPrefix("stack overflow: recursion deeper than") == true)
  }

  @Test func deepNestingIsASyntaxError() {
    let e = errorOf(String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000))
    #expect(e?.message.contains("nested too deeply") == true)
    let chain = errorOf("x = " + Array(repeating: "1", count: 5000).joined(separator: " + "))
    #expect(chain?.message.contains("too long") == true)
  }

  @Test func interruptStopsALoopAndClears() {
    let interp = Interpreter(output: { _ in })
    let flag = InterruptFlag()
    interp.interruptFlag = flag
    _ = interp.run("n = 0")
    // A builtin that requests the interrupt, as the REPL's SIGINT handler would.
    interp.registry.register(BuiltinGroup(name: "test", summary: "test helpers", builtins: [
      Builtin("ctrl_c", params: [], doc: "Requests an interrupt.") { _ in flag.request(); return .none }
    ]))
    let r = interp.run("for i in 1..1000000 { n = i\n if i == 10 { ctrl_c() } }")
    guard case .failure(let e) = r else { Issue.record("expected an interruption"); return }
    #expect(e.kind == .interrupted)
    #expect(e.message == "interrupted")
    #expect(!flag.isRequested)
    #expect(interp[variable: "n"] == .number(10))
  }

  @Test func registeringAGroupIsOneCall() {
    final class Counter: OpaqueValue {
      var n = 0
      var typeName: String { "counter" }
      var summary: String { "<counter n=\(n)>" }
      func field(_ name: String) -> Value? { name == "n" ? .number(Double(n)) : nil }
      var fieldNames: [String] { ["n"] }
    }
    let group = BuiltinGroup(name: "demo", summary: "a demo group", builtins: [
      Builtin("counter", params: [Param("start", .nonNegativeInt, default: .number(0))], doc: "A new counter.") { a in
        let c = Counter()
        c.n = try a.int("start")
        return .opaque(c)
      },
      Builtin("bump", params: [Param("c"), Param("by", .positiveInt, default: .number(1))], doc: "Adds `by`.") { a in
        guard case .opaque(let o) = a["c"], let c = o as? Counter else { throw a.fail("'c' must be a counter") }
        c.n += try a.int("by")
        return a["c"]
      },
    ])
    let interp = Interpreter(output: { _ in })
    interp.interruptFlag = InterruptFlag()
    interp.registry.register(group)
    guard case .value(let v) = interp.run("c = counter(start: 2)\nbump(c, by: 3)\nc") else { Issue.record("expected a value"); return }
    #expect(v.description == "<counter n=5>")
    #expect(v.typeName == "counter")
    if case .value(let n) = interp.run("c.n") { #expect(n == .number(5)) }
    #expect(interp.completions(prefix: "c.") == ["c.n"])
    guard case .failure(let e) = interp.run("bump(c, by: -3)") else { Issue.record("expected an error"); return }
    #expect(e.message == "bump: 'by' must be a positive integer, got -3")
    #expect(interp.registry.index.contains("demo — a demo group"))
  }

  @Test func integerConversionsNeverTrap() {
    for src in ["zeros([1e300])", "range(1e300)", "[1, 2][1e300]", "zeros([0/0])", "round(1, digits: 1e20)",
                "seed(-1)", "arange(0, 1e30)", "linspace(0, 1, 1e18)", "\"ab\"[-1e19]", "tensor([1])[1e300]",
                "1..1e300", "for i in 0..1e300 { break }", "x = [1,2][0:1e300]",
                "arange(0, -1e30)", "arange(-1e38, 1e38)", "arange(0, 1, step: 1e-45)", "reshape(ones(1), [1e10, 1e10])",
                "reshape(ones(1), [-1, 1e15, 1e15])", "permute(ones([2]), [1e15])", "transpose(ones([2, 2]), 1e15)",
                "sum(ones(2), axis: 1e15)", "argmax(ones(2), axis: -1e15)", "concat([ones(2)], axis: 1e15)",
                "stack([ones(2)], axis: 1e15)", "gather(ones(2), [1e15])", "flatten(ones(2), start: 1e15)",
                "ones(2)[1e15:-1e15:1e15]", "ones([2, 2])[0, 1e15]", "tensor([1e300])", "zeros([1e15, 0])"] {
      var o = Interpreter.Options()
      o.maxSteps = 10_000
      _ = run(src, options: o)  // must return, value or error
    }
  }

  @Test func argumentMessagesAreUniform() {
    #expect(errorOf("linspace(0, 1, 5, 2)")?.message == "linspace: expected 3 arguments, got 4")
    #expect(errorOf("zeros(1, 2, 3, 4)")?.message == "zeros: shape is a list: zeros([1, 2, 3, 4])")
    #expect(errorOf("randn(sape: [2])")?.message == "randn: unknown keyword 'sape' (did you mean 'shape'?)")
    #expect(errorOf("linspace(0, 1, count: -3)")?.message == "linspace: 'count' must be a positive integer, got -3")
    #expect(errorOf("len()")?.message == "len: expected 1 argument, got 0")
    #expect(errorOf("exp(\"a\")")?.message == "exp: 'x' must be a number or a tensor, got string \"a\"")
    #expect(errorOf("zeros([2], shape: [3])")?.message == "zeros: argument 'shape' given twice")
    #expect(errorOf("sum(ones(2), axis: 0.5)")?.message == "sum: 'axis' must be an axis or a list of axes or none, got 0.5")
  }

  @Test func localFunctionsDoNotLeakTheirScope() {
    final class Probe: OpaqueValue {
      var typeName: String { "probe" }
      var summary: String { "<probe>" }
    }
    weak var probe: Probe?
    let interp = Interpreter(output: { _ in })
    interp.interruptFlag = InterruptFlag()
    interp.registry.register(BuiltinGroup(name: "probe", summary: "test", builtins: [
      Builtin("make_probe", params: [], doc: "A probe object.") { _ in
        let p = Probe()
        probe = p
        return .opaque(p)
      }
    ]))
    let src = """
      fn step(x) {
        big = make_probe()
        fn helper(v) { v + x }
        f = fn(v) { helper(v) * 2 }
        f(1)
      }
      r = step(1)
      fn counter() { n = 0\n fn inc() { n += 1\n n }\n inc }
      c = counter()
      c()
      [r, c(), c == c]
      """
    guard case .value(let v) = interp.run(src) else { Issue.record("expected a value"); return }
    #expect(v == .list([.number(4), .number(2), .bool(true)]))
    #expect(probe == nil, "the call's scope (and its locals) must be freed when the call returns")
  }

  @Test func nestedRunFromABuiltinKeepsTheOuterState() {
    let interp = Interpreter(output: { _ in })
    interp.interruptFlag = InterruptFlag()
    interp.registry.register(BuiltinGroup(name: "nested", summary: "test", builtins: [
      Builtin("run_code", params: [Param("code", .string)], doc: "Runs code in the same session.") { a in
        switch a.interpreter.run(try a.string("code"), file: "inner.lebm") {
        case .value(let v): return v
        case .failure(let e): throw BuiltinError(e.message)
        }
      }
    ]))
    let src = "fn f(x) {\n  y = run_code(\"z = 5\\nz * 2\")\n  x + y\n}\nf(1) + z"
    #expect(interp.run(src, file: "outer.lebm").value == .number(16))
    let e = interp.run("fn g() { run_code(\"1 + \\\"a\\\"\") }\ng()", file: "outer.lebm").error
    #expect(e?.file == "outer.lebm" && e?.span.line == 1 && e?.stack.count == 1)
  }
}

extension LangSuite {
  /// A training step whose update would break the model is an error, and the model samples
  /// exactly as before it.
  @Test func hugeLearningRatesLeaveTheModelAsItWas() {
    var out = ""
    let interp = Interpreter(output: { out += $0 })
    interp.interruptFlag = InterruptFlag()
    let setup = """
      seed(1)
      m = latent_ebm(energy_net(2, hidden: [8]), generator(2, hidden: [8], out: 2))
      x = randn([16, 2])
      train_step(m, x, prior_steps: 5, posterior_steps: 5)
      seed(5)
      print(to_list(generate(m, 5, steps: 5)))
      """
    guard case .value = interp.run(setup, file: "setup.lebm") else { Issue.record("setup failed: \(out)"); return }
    let before = out
    for lr in ["1e6", "1e20", "1e38"] {
      guard case .failure(let e) = interp.run("train_step(m, x, lr_g: \(lr), lr_e: \(lr))", file: "step.lebm") else {
        Issue.record("lr \(lr): no error"); continue
      }
      #expect(e.message.contains("training diverged: step 2: the update would leave"), "\(e.message)")
      out = ""
      _ = interp.run("seed(5)\nprint(to_list(generate(m, 5, steps: 5)))\nprint(m.steps)", file: "after.lebm")
      #expect(out == before.split(separator: "\n").last.map { String($0) + "\n1\n" }, "lr \(lr): \(out)")
    }
  }
}

extension Interpreter {
  /// The ``BasicHost`` an interpreter made with `Interpreter(output:)` runs on, to set what a
  /// host would (the output folder, the text width, how progress shows).
  var basicHost: BasicHost { host as! BasicHost }
}
