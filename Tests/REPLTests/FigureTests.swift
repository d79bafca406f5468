// Figure lines and inline image escapes (kitty, iTerm).
import Glibc
import Testing

@testable import REPL
import Support

extension REPLSuites {
@Suite struct FigureTests {
  @Test func pngSizeComesFromIHDR() {
    let head: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
      + Array("IHDR".utf8) + [0, 0, 1, 0, 0, 0, 0, 200]
    #expect(FigureInfo.pngSize(head)! == (256, 200))
    #expect(FigureInfo.pngSize(Array(head.prefix(20))) == nil)
    #expect(FigureInfo.pngSize(Array("GIF89a not a png at all!".utf8)) == nil)
  }

  @Test func sizesAreReadable() {
    #expect(FigureOutput.formatSize(812) == "812 B")
    #expect(FigureOutput.formatSize(3482) == "3.4 KB")
    #expect(FigureOutput.formatSize(58_000) == "57 KB")
    #expect(FigureOutput.formatSize(2_200_000) == "2.1 MB")
    #expect(FigureOutput(path: "a.png", format: .png, width: 640, height: 480, bytes: 3482).line == "[figure] a.png (640×480, 3.4 KB)")
    #expect(FigureOutput(path: "a.svg", format: .svg, width: 460, height: 345, bytes: 812).line == "[figure] a.svg (SVG, 812 B)")
    #expect(FigureOutput(path: "a.pdf", format: .pdf, width: 460, height: 345, bytes: 58_000).line == "[figure] a.pdf (PDF, 57 KB)")
  }

  @Test func eachFormatGoesToJupyterUnderItsOwnMIMEType() {
    let svg = Array("<svg/>".utf8), pdf = Array("%PDF-1.5".utf8), png: [UInt8] = [0x89, 0x50]
    let f = { (format: FigureOutput.Format) in FigureOutput(path: "f." + format.fileExtension, format: format, width: 1, height: 1, bytes: 2) }
    #expect(mimeBundle(f(.svg), data: svg)["image/svg+xml"] == .string("<svg/>"))
    #expect(mimeBundle(f(.pdf), data: pdf)["application/pdf"] == .string(base64(pdf)))
    #expect(mimeBundle(f(.png), data: png)["image/png"] == .string(base64(png)))
    for format in FigureOutput.Format.allCases {
      let bundle = mimeBundle(f(format), data: png)
      #expect(bundle.object?.keys.sorted() == [format.mimeType, "text/plain"].sorted())
    }
  }

  @Test func base64MatchesTheStandard() {
    #expect(base64([]) == "")
    #expect(base64(Array("f".utf8)) == "Zg==")
    #expect(base64(Array("fo".utf8)) == "Zm8=")
    #expect(base64(Array("foobar".utf8)) == "Zm9vYmFy")
    #expect(base64([0xFF, 0xFE, 0x00]) == "//4A")
  }

  @Test func kittyEscapeIsChunkedAt4096() {
    let small = ImageProtocol.kitty.escape(forPNG: Array("foo".utf8))
    #expect(small == "\u{1B}_Gf=100,a=T,q=2,m=0;Zm9v\u{1B}\\\n")
    let big = ImageProtocol.kitty.escape(forPNG: [UInt8](repeating: 7, count: 3 * 4096 / 4 * 2 + 3))
    let chunks = big.split(separator: "\u{1B}\\").filter { $0 != "\n" }
    #expect(chunks.count == 3)
    #expect(chunks[0].hasPrefix("\u{1B}_Gf=100,a=T,q=2,m=1;"))
    #expect(chunks[1].hasPrefix("\u{1B}_Gm=1;"))
    #expect(chunks[2] == "\u{1B}_Gm=0;BwcH")
    #expect(chunks[0].count == "\u{1B}_Gf=100,a=T,q=2,m=1;".count + 4096)
  }

  @Test func itermEscapeCarriesTheSize() {
    #expect(ImageProtocol.iterm.escape(forPNG: Array("foo".utf8))
      == "\u{1B}]1337;File=inline=1;size=3:Zm9v\u{07}\n")
    #expect(ImageProtocol.none.escape(forPNG: [1, 2, 3]) == "")
  }

  @Test func protocolIsChosenFromTheEnvironment() {
    func pick(_ env: [String: String], tty: Bool = true) -> ImageProtocol {
      ImageProtocol.resolve(environment: env, stdoutIsTerminal: tty)
    }
    #expect(pick(["TERM": "xterm-kitty"]) == .kitty)
    #expect(pick(["TERM": "xterm-256color", "KITTY_WINDOW_ID": "1"]) == .kitty)
    #expect(pick(["TERM_PROGRAM": "ghostty"]) == .kitty)
    #expect(pick(["TERM_PROGRAM": "iTerm.app"]) == .iterm)
    #expect(pick(["TERM_PROGRAM": "WezTerm"]) == .iterm)
    #expect(pick(["TERM": "xterm-256color"]) == .none)
    #expect(pick(["TERM": "xterm-kitty"], tty: false) == .none)
    #expect(pick(["TERM": "xterm-kitty", "LEBM_IMAGES": "off"]) == .none)
    #expect(pick(["TERM": "xterm", "LEBM_IMAGES": "iterm"]) == .iterm)
    #expect(pick(["TERM": "xterm", "LEBM_IMAGES": "kitty"], tty: false) == .none)
    #expect(pick(["TERM": "xterm-kitty", "TMUX": "/tmp/tmux"]) == .none)
    #expect(pick(["TERM": "dumb", "LEBM_IMAGES": "kitty"]) == .none)
  }

  @Test func sessionDrawsInlineThenPrintsTheLine() {
    let path = temporaryPath("inline.png")
    defer { unlink(path) }
    let (console, captured) = Console.capturing()
    let session = Session(
      backend: FakeBackend(), reader: ArrayLineReader(["fig(\"\(path)\")"]), console: console,
      images: .iterm)
    session.run()
    #expect(captured.out.hasPrefix("0\n\u{1B}]1337;File=inline=1;size=29:iVBORw0KGgo"))
    #expect(captured.out.hasSuffix("\u{07}\n[figure] \(path) (640×480, 29 B)\n\n"))
  }
}
}
