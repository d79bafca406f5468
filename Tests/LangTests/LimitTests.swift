// Regression tests for the limits that keep any script from aborting the process: the engine's
// allocation cap as scripts see it, and the string cap on interpolation.
import Engine
import Testing

@testable import Lang

extension LangSuite {
  @Test func interpolationStopsAtTheStringLimit() throws {
    let e = try #require(errorOf("s = \"a\"\nfor i in 1..40 { s = \"{s}{s}\" }"))
    #expect(e.message == "string too long (more than 67108864 characters)")
    #expect(e.span.line == 2 && e.span.column == 22)
  }

  @Test func hugeAllocationsAreScriptErrors() throws {
    let broadcast = try #require(errorOf("zeros([65536, 1]) + zeros([1, 65536])"))
    #expect(broadcast.message.hasPrefix("broadcast: would need 4294967296 elements (17.2 GB)"), "\(broadcast.message)")
    #expect(broadcast.message.contains("more than the limit of 2^28 elements; raise it with the environment variable LEBM_MAX_ELEMENTS"))
    #expect(broadcast.span.line == 1 && broadcast.span.column == 19)
    let net = try #require(errorOf("energy_net(latent: 2, hidden: [100000, 100000])"))
    #expect(net.message.contains("would need 10000000000 elements (40.0 GB)"), "\(net.message)")
    let made = try #require(errorOf("zeros([1e15])"))
    #expect(made.message.contains("more than the limit of 2^28 elements"), "\(made.message)")
  }

  @Test func importAndLoadRefuseDevicesAtOnce() throws {
    let imp = try #require(errorOf("import \"/dev/zero\""))
    #expect(imp.message == "cannot import '/dev/zero': is a character device, not a regular file")
    #expect(imp.span.line == 1 && imp.span.column == 1)
    let load = try #require(errorOf("load(\"/dev/zero\")"))
    #expect(load.message.contains("/dev/zero: is a character device, not a regular file"), "\(load.message)")
  }
}
