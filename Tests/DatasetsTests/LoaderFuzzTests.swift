// Mutated data files, each loaded by a fresh `lebm` process under a memory limit and a timeout:
// every reader must end with the file's data or a clean error, never a signal or a hang.
//
// Readers: checkpoints of a latent EBM and of a VAE (safetensors written by `save`), IDX (plain and gzip), PNG folders, CSV,
// CIFAR-10 binary batches and sentence files (`text`). Each valid seed file is cut, bit-flipped and has its header fields set
// to extremes (0, 2³¹−1, 2³²−1, huge sizes). LEBM_LOADER_FUZZ_COUNT sets the cases per reader
// (default 1000), LEBM_LOADER_FUZZ_BINARY another `lebm` to try (e.g. an older build, for a
// before/after table), LEBM_LOADER_FUZZ_KEEP keeps the files.
import Foundation
import Testing
@testable import Datasets
import PNG
import Support

/// The built `lebm` executable next to the test bundle, or the one LEBM_LOADER_FUZZ_BINARY names.
private let fuzzBinary = environmentValue("LEBM_LOADER_FUZZ_BINARY") ?? siblingExecutable("lebm")

/// A small deterministic generator (SplitMix64), so every run tries the same files.
struct FuzzRandom {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9e37_79b9_7f4a_7c15
    var z = state
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
  }
  mutating func int(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
  mutating func pick<T>(_ xs: [T]) -> T { xs[int(xs.count)] }
}

/// One mutated file and how it was made.
struct FuzzCase {
  var bytes: [UInt8]
  var mutation: String
}

/// The ways to break a file, shared by every format.
enum Mutate {
  /// Values a size or length field is set to.
  static let extremes: [UInt64] = [0, 1, 0xff, 0xffff, 30000, 46341, 65536, 1_369_568, 0x7fff_ffff, 0x8000_0000,
                                   0xffff_ffff]

  static func truncate(_ b: [UInt8], _ r: inout FuzzRandom) -> FuzzCase {
    let n = r.int(b.count)
    return FuzzCase(bytes: Array(b.prefix(n)), mutation: "truncated to \(n) bytes")
  }

  static func flip(_ b: [UInt8], _ r: inout FuzzRandom, within: Int? = nil) -> FuzzCase {
    var b = b
    let k = 1 + r.int(8)
    var at: [Int] = []
    for _ in 0..<k where !b.isEmpty {
      let i = r.int(min(b.count, within ?? b.count))
      b[i] ^= UInt8(1 << r.int(8))
      at.append(i)
    }
    return FuzzCase(bytes: b, mutation: "bits flipped at \(at)")
  }

  static func setByte(_ b: [UInt8], _ r: inout FuzzRandom, within: Int) -> FuzzCase {
    var b = b
    let i = r.int(min(b.count, within)), v = UInt8(r.pick([0, 1, 0x7f, 0x80, 0xff, r.int(256)]))
    if i < b.count { b[i] = v }
    return FuzzCase(bytes: b, mutation: "byte \(i) set to \(v)")
  }

  /// The 32-bit field at `offset` (big- or little-endian) set to an extreme value.
  static func field32(_ b: [UInt8], at offset: Int, bigEndian: Bool, _ r: inout FuzzRandom, name: String) -> FuzzCase {
    var b = b
    let v = r.pick(extremes)
    for k in 0..<4 where offset + k < b.count {
      let shift = bigEndian ? 24 - 8 * k : 8 * k
      b[offset + k] = UInt8(truncatingIfNeeded: v >> UInt64(shift))
    }
    return FuzzCase(bytes: b, mutation: "\(name) (offset \(offset)) set to \(v)")
  }

  static func append(_ b: [UInt8], _ r: inout FuzzRandom) -> FuzzCase {
    let n = r.pick([1, 7, 100, 3073, 4096])
    return FuzzCase(bytes: b + (0..<n).map { _ in UInt8(r.int(256)) }, mutation: "\(n) random bytes appended")
  }

  static func duplicate(_ b: [UInt8], _ r: inout FuzzRandom) -> FuzzCase {
    guard b.count > 2 else { return FuzzCase(bytes: b + b, mutation: "doubled") }
    let lo = r.int(b.count), hi = min(b.count, lo + 1 + r.int(256))
    return FuzzCase(bytes: Array(b[..<hi]) + Array(b[lo...]), mutation: "bytes \(lo)..<\(hi) repeated")
  }

  /// A mutation that any format gets: cut, flips, a set byte, appended or repeated bytes.
  static func generic(_ b: [UInt8], _ r: inout FuzzRandom, header: Int) -> FuzzCase {
    switch r.int(6) {
    case 0: return truncate(b, &r)
    case 1: return flip(b, &r)
    case 2: return flip(b, &r, within: header)
    case 3: return setByte(b, &r, within: header)
    case 4: return append(b, &r)
    default: return duplicate(b, &r)
    }
  }
}

/// A format under test: its valid seed, how to mutate it, and how to load a file of it.
struct FuzzReader {
  var name: String
  var seed: [UInt8]
  var mutate: (inout FuzzRandom) -> FuzzCase
  /// Writes the case into `folder` and returns the lebm code that loads it.
  var place: (_ bytes: [UInt8], _ folder: String) throws -> String
}

/// What the runs of one reader came to.
struct FuzzTally {
  var tried = 0, loaded = 0, clean = 0, signals = 0, timeouts = 0, unclean = 0
  var examples: [String] = []
}

@Suite struct LoaderFuzzTests {
  static let perReader = ProcessInfo.processInfo.environment["LEBM_LOADER_FUZZ_COUNT"].flatMap { Int($0) } ?? 1000

  @Test(.enabled(if: fuzzBinary != nil)) func mutatedFilesLoadOrFailCleanly() throws {
    let binary = fuzzBinary!
    let dir = try TempDir()
    let keep = ProcessInfo.processInfo.environment["LEBM_LOADER_FUZZ_KEEP"] != nil
    defer { if !keep { dir.cleanup() } }
    let readers = try Self.readers(binary: binary, scratch: dir.path)
    var tallies: [String: FuzzTally] = [:]
    var jobs: [(reader: String, mutation: String, code: String)] = []
    for reader in readers {
      var r = FuzzRandom(state: 20_260_301 &+ UInt64(reader.name.utf8.reduce(0) { $0 &* 31 &+ Int($1) }))
      for k in 0..<Self.perReader {
        let c = reader.mutate(&r)
        let folder = dir.path + "/\(reader.name)-\(k)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        jobs.append((reader.name, c.mutation, try reader.place(c.bytes, folder)))
      }
    }
    let outcomes = try Self.run(jobs.map(\.code), binary: binary, scratch: dir.path)
    for (job, outcome) in zip(jobs, outcomes) {
      var t = tallies[job.reader, default: FuzzTally()]
      t.tried += 1
      let (status, err) = outcome
      let errorLine = err.split(separator: "\n").first { $0.contains("error:") }.map(String.init)
      switch status {
      case 0: t.loaded += 1
      case 70 where errorLine != nil: t.clean += 1
      case 124: t.timeouts += 1
      case 128...: t.signals += 1
      default: t.unclean += 1
      }
      if !(status == 0 || (status == 70 && errorLine != nil)), t.examples.count < 8 {
        let line = err.split(separator: "\n").first.map(String.init) ?? ""
        t.examples.append("\(job.mutation): exit \(status): \(line.prefix(200)) [\(job.code)]")
      }
      tallies[job.reader] = t
    }
    var table = "reader       tried  loaded  clean  signals  timeouts  unclean\n"
    for reader in readers {
      let t = tallies[reader.name, default: FuzzTally()]
      func col(_ v: Int, _ w: Int) -> String { String(repeating: " ", count: max(0, w - String(v).count)) + String(v) }
      table += reader.name.padding(toLength: 11, withPad: " ", startingAt: 0) + col(t.tried, 7) + col(t.loaded, 8)
        + col(t.clean, 7) + col(t.signals, 9) + col(t.timeouts, 10) + col(t.unclean, 9) + "\n"
      for e in t.examples { table += "    \(e)\n" }
    }
    print(table)
    for reader in readers {
      let t = tallies[reader.name, default: FuzzTally()]
      #expect(t.tried >= Self.perReader, "\(reader.name): \(t.tried) cases")
      #expect(t.signals == 0 && t.timeouts == 0 && t.unclean == 0,
              "\(reader.name): \(t.signals) signals, \(t.timeouts) timeouts, \(t.unclean) unclean\n\(table)")
      #expect(t.clean > 0, "\(reader.name): no mutation was refused, so the mutations miss the reader")
    }
  }

  /// Runs each code in a fresh `lebm -e` under `ulimit -v 4000000` and a 10 s timeout; the exit
  /// status (124: timed out, 128 + n: signal n) and standard error of each. Batches of cases go
  /// through one shell each, two shells at a time.
  static func run(_ codes: [String], binary: String, scratch: String) throws -> [(Int, String)] {
    let batch = 50
    let batches = stride(from: 0, to: codes.count, by: batch).map { $0..<min($0 + batch, codes.count) }
    final class Results: @unchecked Sendable {
      var items: [(Int, String)]
      var failure: Error? = nil
      let lock = NSLock()
      init(_ n: Int) { items = Array(repeating: (-1, ""), count: n) }
    }
    let box = Results(codes.count)
    DispatchQueue.concurrentPerform(iterations: 2) { worker in
      for (b, range) in batches.enumerated() where b % 2 == worker {
        do {
          var script = "ulimit -v 4000000\nexport SWIFT_BACKTRACE=enable=no\n"
          for i in range {
            script += "timeout 10 '\(binary)' -e '\(codes[i])' </dev/null >/dev/null 2>'\(scratch)/err.\(i)'; echo \"\(i) $?\"\n"
          }
          let p = Process()
          p.executableURL = URL(fileURLWithPath: "/bin/sh")
          p.arguments = ["-c", script]
          let out = Pipe()
          p.standardOutput = out
          p.standardInput = FileHandle.nullDevice
          try p.run()
          let data = out.fileHandleForReading.readDataToEndOfFile()
          p.waitUntilExit()
          for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 2, let i = Int(f[0]), let s = Int(f[1]) else { continue }
            let err = (try? String(contentsOfFile: "\(scratch)/err.\(i)", encoding: .utf8)) ?? ""
            box.lock.lock()
            box.items[i] = (s, err)
            box.lock.unlock()
          }
        } catch {
          box.lock.lock()
          box.failure = error
          box.lock.unlock()
        }
      }
    }
    if let failure = box.failure { throw failure }
    return box.items
  }

  // MARK: - The readers

  static func readers(binary: String, scratch: String) throws -> [FuzzReader] {
    [try checkpoint(binary: binary, scratch: scratch), try idx(), try png(), csv(), cifar(), text(),
     try checkpoint(binary: binary, scratch: scratch, name: "vae", model: "m = vae(encoder(latent: 2, input: 4, hidden: [8]), generator(latent: 2, hidden: [8], out: 4))")]
  }

  /// A checkpoint written by lebm's own `save` (after one training step, so the optimizer state is
  /// there too). Besides the generic mutations: the 8-byte header length set to extremes, and a
  /// number in the JSON header (a shape, an offset, a layer width) replaced by an extreme one.
  static func checkpoint(binary: String, scratch: String, name: String = "checkpoint", model: String = """
      m = latent_ebm(energy_net(latent: 2, hidden: [8]), generator(latent: 2, hidden: [8], out: 4))
      """) throws -> FuzzReader {
    let path = scratch + "/seed-\(name).safetensors"
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = ["-e", """
      seed(1)
      \(model)
      train_step(m, randn([4, 4]))
      save(m, "\(path)")
      """]
    p.standardOutput = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    let seed = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    let headerLength = seed.count >= 8 ? Int(seed[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) }) : 0
    return FuzzReader(name: name, seed: seed, mutate: { r in
      switch r.int(4) {
      case 0:
        var b = seed
        let v: UInt64 = r.pick([0, 1, 7, 0x7fff_ffff, 0xffff_ffff, 1 << 40, UInt64.max, UInt64(seed.count), UInt64(seed.count - 7)])
        for k in 0..<8 { b[k] = UInt8(truncatingIfNeeded: v >> UInt64(8 * k)) }
        return FuzzCase(bytes: b, mutation: "header length set to \(v)")
      case 1:
        // A number in the JSON header replaced by an extreme (the header is ASCII JSON).
        let text = Array(seed[8..<min(seed.count, 8 + headerLength)])
        var runs: [Range<Int>] = []
        var i = 0
        while i < text.count {
          if text[i] >= 48 && text[i] <= 57 {
            let lo = i
            while i < text.count, text[i] >= 48 && text[i] <= 57 { i += 1 }
            runs.append(lo..<i)
          } else { i += 1 }
        }
        guard !runs.isEmpty else { return Mutate.generic(seed, &r, header: 8 + headerLength) }
        let run = r.pick(runs)
        let v = r.pick(["0", "2147483647", "4294967295", "100000", "65536", "99999999999999999999", "1e30", "-1"])
        var json = Array(text[..<run.lowerBound]) + Array(v.utf8) + Array(text[run.upperBound...])
        // Keep the header length honest (padding with spaces) when the number got shorter; a longer
        // one shifts the data, which the reader must notice too.
        while json.count < text.count { json.append(32) }
        var b = Array(seed[..<8]) + json + Array(seed[min(seed.count, 8 + headerLength)...])
        let n = UInt64(json.count)
        for k in 0..<8 { b[k] = UInt8(truncatingIfNeeded: n >> UInt64(8 * k)) }
        let context = String(decoding: text[max(0, run.lowerBound - 30)..<run.lowerBound], as: UTF8.self)
        return FuzzCase(bytes: b, mutation: "JSON number after '\(context)' set to \(v)")
      default:
        return Mutate.generic(seed, &r, header: 8 + headerLength)
      }
    }, place: { bytes, folder in
      let f = folder + "/m.safetensors"
      try Data(bytes).write(to: URL(fileURLWithPath: f))
      return "load(\"\(f)\")"
    })
  }

  /// 20 images of 8×8 bytes, as a plain IDX file (half the cases) or gzip-compressed (the other half:
  /// mutated before compressing, or the compressed bytes themselves, their size trailer included).
  static func idx() throws -> FuzzReader {
    let data = (0..<(20 * 64)).map { UInt8(truncatingIfNeeded: $0 &* 37) }
    let seed = idxBytes(magic: 0x803, dims: [20, 8, 8], data: data)
    let fields = [(0, "magic"), (4, "image count"), (8, "rows"), (12, "columns")]
    func header(_ r: inout FuzzRandom) -> FuzzCase {
      if r.int(3) == 0 { return Mutate.generic(seed, &r, header: 16) }
      let (at, name) = r.pick(fields)
      var c = Mutate.field32(seed, at: at, bigEndian: true, &r, name: name)
      if r.int(2) == 0 {
        let (at2, name2) = r.pick(fields)
        let d = Mutate.field32(c.bytes, at: at2, bigEndian: true, &r, name: name2)
        c = FuzzCase(bytes: d.bytes, mutation: c.mutation + ", " + d.mutation)
      }
      return c
    }
    // 16 gzip members of 64 MiB of zeros each (about 1 MB on disk, 1 GiB inflated), for bombs.
    let zeros = try Gzip.compress([UInt8](repeating: 0, count: 64 << 20))
    let bomb = (0..<16).flatMap { _ in zeros }
    return FuzzReader(name: "idx", seed: seed, mutate: { r in
      if r.int(40) == 0 {
        // A real bomb: a header declaring 1,369,568 images (or 20, honestly) and then 1 GiB of zeros.
        let n = r.pick([1_369_568, 20])
        let head = (try? Gzip.compress(idxBytes(magic: 0x803, dims: [n, 28, 28], data: []))) ?? []
        return FuzzCase(bytes: head + bomb, mutation: "gzip bomb: \(n) images declared, 1 GiB of zeros in 16 members")
      }
      switch r.int(4) {
      case 0: return header(&r)
      case 1: var c = header(&r); c.mutation = "plain, " + c.mutation; return c
      case 2:
        var c = header(&r)
        c.bytes = (try? Gzip.compress(c.bytes)) ?? c.bytes
        c.mutation = "gzip of: " + c.mutation
        return c
      default:
        let gz = (try? Gzip.compress(seed)) ?? seed
        if r.int(3) == 0 {
          var c = Mutate.field32(gz, at: gz.count - 4, bigEndian: false, &r, name: "gzip size trailer")
          c.mutation = "gzip, " + c.mutation
          return c
        }
        var c = Mutate.generic(gz, &r, header: 16)
        c.mutation = "gzip bytes: " + c.mutation
        return c
      }
    }, place: { bytes, folder in
      let f = folder + "/images-idx3-ubyte" + (Gzip.isCompressed(bytes) ? ".gz" : "")
      try Data(bytes).write(to: URL(fileURLWithPath: f))
      return "idx(\"\(f)\")"
    })
  }

  /// A 6×5 RGBA PNG in a folder of its own. Besides the generic mutations: the IHDR's width,
  /// height, bit depth and colour type set to extremes, with the chunk's CRC fixed (so libpng gets
  /// past it) or not.
  static func png() throws -> FuzzReader {
    let pixels = (0..<(6 * 5 * 4)).map { UInt8(truncatingIfNeeded: $0 &* 11) }
    let seed = try PNGCodec.encode(try PNGImage(width: 6, height: 5, format: .rgba, pixels: pixels))
    func fixIHDR(_ b: inout [UInt8]) {
      guard b.count >= 33 else { return }
      var crc: UInt32 = 0xffff_ffff
      for x in b[12..<29] {
        crc ^= UInt32(x)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xedb8_8320 : crc >> 1 }
      }
      crc = ~crc
      for k in 0..<4 { b[29 + k] = UInt8(truncatingIfNeeded: crc >> UInt32(24 - 8 * k)) }
    }
    return FuzzReader(name: "png", seed: seed, mutate: { r in
      switch r.int(3) {
      case 0, 1:
        var c: FuzzCase
        if r.int(3) == 0 {
          c = Mutate.setByte(seed, &r, within: 29)
          let i = 24 + r.int(5)
          c.bytes[i] = UInt8(r.pick([0, 1, 2, 3, 4, 6, 8, 16, 255]))
          c.mutation += ", IHDR byte \(i) set to \(c.bytes[i])"
        } else if r.int(4) == 0 {
          // Both sides large: what a decoder would allocate for before reading a single row.
          c = Mutate.field32(seed, at: 16, bigEndian: true, &r, name: "width")
          let d = Mutate.field32(c.bytes, at: 20, bigEndian: true, &r, name: "height")
          c = FuzzCase(bytes: d.bytes, mutation: c.mutation + ", " + d.mutation)
        } else {
          let (at, name) = r.pick([(16, "width"), (20, "height"), (8, "IHDR length"), (33, "next chunk length")])
          c = Mutate.field32(seed, at: at, bigEndian: true, &r, name: name)
          if r.int(2) == 0 {
            let (at2, name2) = r.pick([(16, "width"), (20, "height")])
            let d = Mutate.field32(c.bytes, at: at2, bigEndian: true, &r, name: name2)
            c = FuzzCase(bytes: d.bytes, mutation: c.mutation + ", " + d.mutation)
          }
        }
        if r.int(4) != 0 { fixIHDR(&c.bytes); c.mutation += " (IHDR CRC fixed)" }
        return c
      default:
        return Mutate.generic(seed, &r, header: 41)
      }
    }, place: { bytes, folder in
      try Data(bytes).write(to: URL(fileURLWithPath: folder + "/a.png"))
      return "png_folder(\"\(folder)\")"
    })
  }

  /// A small table with a header and a label column. Besides the generic byte mutations: cells
  /// replaced by hard tokens (nan, inf, 1e39, empty, quotes, a byte-order mark, huge numbers), lines
  /// dropped or repeated.
  static func csv() -> FuzzReader {
    let seed = Array("x,y,label\n1,2,0\n3.5,-4e-2,1\n5,6,0\n7,8,1\n".utf8)
    let tokens = ["nan", "inf", "-inf", "1e39", "", "\"", "\"\"", "\u{feff}", "\r", ",", ",,", "1e-50",
                  "99999999999999999999999", "0x1p3", "a", "#", " ", "\t", "-", ".", "e5", "NaN"]
    return FuzzReader(name: "csv", seed: seed, mutate: { r in
      switch r.int(3) {
      case 0:
        var text = String(decoding: seed, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var what: [String] = []
        for _ in 0..<(1 + r.int(3)) {
          let li = r.int(lines.count)
          var cells = lines[li].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
          let ci = r.int(cells.count), t = r.pick(tokens)
          cells[ci] = t
          lines[li] = cells.joined(separator: ",")
          what.append("line \(li + 1) cell \(ci + 1) = \(t.debugDescription)")
        }
        text = lines.joined(separator: "\n")
        return FuzzCase(bytes: Array(text.utf8), mutation: what.joined(separator: "; "))
      case 1:
        var lines = String(decoding: seed, as: UTF8.self).split(separator: "\n").map(String.init)
        let li = r.int(lines.count)
        if r.int(2) == 0 { lines.remove(at: li) } else { lines.insert(lines[li], at: li) }
        let bom = r.int(4) == 0
        return FuzzCase(bytes: (bom ? [0xef, 0xbb, 0xbf] : []) + Array(lines.joined(separator: "\n").utf8),
                        mutation: "line \(li + 1) dropped or repeated" + (bom ? ", BOM first" : ""))
      default:
        return Mutate.generic(seed, &r, header: 10)
      }
    }, place: { bytes, folder in
      let f = folder + "/t.csv"
      try Data(bytes).write(to: URL(fileURLWithPath: f))
      return "csv(\"\(f)\", label_column: 2)"
    })
  }

  /// A few sentences, read with a vocabulary and rows of 6 tokens. Besides the generic byte
  /// mutations: bytes that are not UTF-8 (a lone continuation byte, a cut sequence, 0xff), a NUL,
  /// a line of 1 MiB + 1 bytes, blank lines, tabs and CRs, and the whole file emptied.
  static func text() -> FuzzReader {
    let seed = Array("the cat sat on the mat\nthe dog sat\n\na bird flew over the mat\n".utf8)
    let pieces: [[UInt8]] = [[0x80], [0xC3], [0xE2, 0x82], [0xFF], [0], [10, 10], [9], [13], [0xEF, 0xBB, 0xBF], Array("ü".utf8)]
    return FuzzReader(name: "text", seed: seed, mutate: { r in
      switch r.int(4) {
      case 0:
        var b = seed
        let at = r.int(b.count + 1), piece = r.pick(pieces)
        b.insert(contentsOf: piece, at: at)
        return FuzzCase(bytes: b, mutation: "\(piece) inserted at \(at)")
      case 1:
        switch r.int(3) {
        case 0: return FuzzCase(bytes: seed + [UInt8](repeating: 0x61, count: (1 << 20) + 1), mutation: "a line of 1 MiB + 1 bytes")
        case 1: return FuzzCase(bytes: [], mutation: "empty")
        default: return FuzzCase(bytes: Array(" \n\t\n\r\n".utf8), mutation: "blank lines only")
        }
      default:
        return Mutate.generic(seed, &r, header: seed.count)
      }
    }, place: { bytes, folder in
      let f = folder + "/s.txt"
      try Data(bytes).write(to: URL(fileURLWithPath: f))
      return "text(\"\(f)\", vocab: 6, max_len: 6)"
    })
  }

  /// Three CIFAR-10 records in `test_batch.bin`. Besides the generic mutations: a label byte set to
  /// 10 or 255, and cuts at and around record boundaries.
  static func cifar() -> FuzzReader {
    var seed: [UInt8] = []
    for k in 0..<3 { seed += [UInt8(k)] + (0..<3072).map { UInt8(truncatingIfNeeded: $0 &* (k + 3)) } }
    return FuzzReader(name: "cifar", seed: seed, mutate: { r in
      switch r.int(3) {
      case 0:
        var b = seed
        let rec = r.int(3), v = UInt8(r.pick([10, 11, 99, 255]))
        b[rec * 3073] = v
        return FuzzCase(bytes: b, mutation: "label of record \(rec + 1) set to \(v)")
      case 1:
        let n = r.pick([0, 1, 3072, 3073, 3074, 6146, 6147, 9218]) + r.int(3) - 1
        return FuzzCase(bytes: Array(seed.prefix(max(0, n))), mutation: "cut to \(max(0, n)) bytes")
      default:
        return Mutate.generic(seed, &r, header: 3073)
      }
    }, place: { bytes, folder in
      try Data(bytes).write(to: URL(fileURLWithPath: folder + "/test_batch.bin"))
      return "cifar10(\"\(folder)\", split: \"test\")"
    })
  }
}
