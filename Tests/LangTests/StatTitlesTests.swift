// plot_stats' panel titles: every statistic a training history holds has a readable title, with
// its math closed; names it does not know keep their own.
import Testing

@testable import Lang

@Test func everyHistoryStatisticHasATitle() throws {
  let (_, outcome) = run("""
    m = latent_ebm(energy_net(2, hidden: [8]), generator(2, hidden: [8], out: 2))
    train_step(m, randn([10, 2]), prior_steps: 2, posterior_steps: 2)
    keys(m.history)
    """)
  guard case .list(let keys)? = outcome.value else {
    Issue.record("no keys: \(String(describing: outcome.error))")
    return
  }
  let names = keys.compactMap { v -> String? in if case .string(let s) = v { return s }; return nil }
  #expect(names.count >= 11)
  for name in names where name != "step" {
    let title = statTitle(name)
    #expect(title != name, "\(name) has no title")
    #expect(title.filter { $0 == "$" }.count % 2 == 0, "\(name): unclosed math in \(title)")
    #expect(!title.contains("_") || title.contains("$"), "\(name): an underscore outside math in \(title)")
  }
  #expect(statTitle("my_metric") == "my_metric")
}
