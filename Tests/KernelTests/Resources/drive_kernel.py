"""Drives `lebm kernel` through jupyter_client, as JupyterLab would, and checks every answer.

usage: drive_kernel.py LEBM TMPDIR

Installs the kernelspec into TMPDIR/prefix (JUPYTER_PATH points there), starts the kernel with
KernelManager and checks: kernel_info, streamed prints (each `train` epoch line arrives while the
cell runs), `train`'s progress display updated in place, a figure as display_data image/png, execute_result, an error with lebm's message and
location, completion, inspection, is_complete, an interrupt of a running `train` (state kept), and
shutdown. Prints one `ok: ...` line per check; exits 1 with `FAIL: ...` at the first failure.
"""
import base64
import os
import re
import subprocess
import sys
import time

lebm, tmp = sys.argv[1], sys.argv[2]
prefix = os.path.join(tmp, "prefix")
subprocess.run([lebm, "kernel", "install", "--prefix", prefix], check=True)
os.environ["JUPYTER_PATH"] = os.path.join(prefix, "share", "jupyter")
os.environ["JUPYTER_DATA_DIR"] = os.path.join(tmp, "data")
os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(tmp, "runtime")

from jupyter_client.manager import KernelManager  # noqa: E402


km = None


def check(cond, what, detail=""):
    if not cond:
        print(f"FAIL: {what} {detail}", flush=True)
        if km is not None and km.has_kernel:
            km.shutdown_kernel(now=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def run(kc, code, timeout=60, on_message=None):
    """Executes `code`; returns (reply content, [(arrival time, iopub message)])."""
    msg_id = kc.execute(code)
    messages = []
    deadline = time.monotonic() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append((time.monotonic(), msg))
        if on_message:
            on_message(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=timeout)
    check(reply["parent_header"]["msg_id"] == msg_id, "the reply answers its request")
    return reply["content"], messages


def of_type(messages, kind):
    return [m for _, m in messages if m["msg_type"] == kind]


km = KernelManager(kernel_name="lebm")
km.start_kernel(cwd=tmp)
process = km.provisioner.process
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=60)

info = kc.kernel_info(reply=True, timeout=30)["content"]
check(info["language_info"]["name"] == "lebm" and info["language_info"]["file_extension"] == ".lebm",
      "kernel_info names the language", info)
check(info["protocol_version"] == "5.3", "protocol 5.3", info["protocol_version"])

# A value, execute_input and execution_count.
reply, msgs = run(kc, "x = 20\nx + 1")
results = of_type(msgs, "execute_result")
check(reply["status"] == "ok" and results and results[0]["content"]["data"]["text/plain"] == "21",
      "execute_result carries the value", results)
check(of_type(msgs, "execute_input") and of_type(msgs, "execute_input")[0]["content"]["code"].startswith("x = 20"),
      "execute_input echoes the code")
check(reply["execution_count"] == results[0]["content"]["execution_count"] >= 1, "execution_count")

# Streamed output: each epoch line of `train` arrives while the cell runs.
setup = ('seed(0)\nm = latent_ebm(energy_net(2, hidden: [8]), generator(2, hidden: [8], out: 2))\n'
         'd = toy("8gaussians", n: 400)\nprint("model ready")')
reply, msgs = run(kc, setup)
streams = of_type(msgs, "stream")
check(reply["status"] == "ok" and "model ready" in "".join(s["content"]["text"] for s in streams),
      "print reaches the client as a stream", msgs)
# (the cell waits a second, on lebm's own clock, between its first and last print)
reply, msgs = run(kc, 'print("before")\ntrain(m, toy("8gaussians", n: 4000), epochs: 6, every: 1)\n'
                      't0 = time()\nwhile time() - t0 < 1 { }\nprint("after")')
streams = [(t, m) for t, m in msgs if m["msg_type"] == "stream"]
text = "".join(m["content"]["text"] for _, m in streams)
check(reply["status"] == "ok" and "before" in text and "after" in text and "epoch 6/6" in text,
      "train's epoch lines are streamed", text)
check(len(streams) >= 7, "one stream message per print and epoch line", len(streams))
first = next(t for t, m in streams if "before" in m["content"]["text"])
last = next(t for t, m in streams if "after" in m["content"]["text"])
# Sent as they are printed, the first and last lines arrive at least the second's wait apart (a
# busy machine only widens the gap); sent together at the end, within a millisecond or so.
check(last - first > 0.5,
      f"the prints arrive as they happen, not together at the end ({last - first:.3f} s apart)",
      last - first)

# `train`'s progress: one display_data with a display id (transient), replaced in place by
# update_display_data under the same id, at most four a second (the kernel's 0.25 s apart; the
# cell's whole run bounds the count), ending at the last step; the summary line every 30 epochs
# (here only the last epoch's) still arrives as a stream.
sent = time.monotonic()
reply, msgs = run(kc, 'train(m, toy("8gaussians", n: 4000), epochs: 12, every: 30)')
elapsed = time.monotonic() - sent
shown = of_type(msgs, "display_data")
updates = of_type(msgs, "update_display_data")
check(reply["status"] == "ok" and len(shown) == 1, "train opens one progress display", msgs)
display_id = shown[0]["content"].get("transient", {}).get("display_id")
check(display_id and shown[0]["content"]["data"]["text/plain"].startswith("  0%|          | 1/480 ["),
      "the display has a transient display_id and starts at the first step", shown[0]["content"])
check(updates and all(u["content"]["transient"]["display_id"] == display_id for u in updates),
      "update_display_data replaces that display", updates)
check(len(updates) + 1 <= elapsed / 0.25 + 2, f"throttled: {len(updates) + 1} displays in {elapsed:.2f} s", len(updates))
final = updates[-1]["content"]["data"]["text/plain"]
check(final.startswith("100%|") and "480/480" in final and "loss_g=" in final, "the display ends at the last step", final)
text = "".join(m["content"]["text"] for m in of_type(msgs, "stream"))
check(re.fullmatch(r"epoch 12/12  step +\d+  loss_g= *-?[\d.]+ loss_e=.*\n", text), "the summary line every 30 epochs: the last one only", text)
check(all("\r" not in m["content"]["data"]["text/plain"] and "\x1b" not in m["content"]["data"]["text/plain"] for m in shown + updates),
      "the display's text has no terminal escapes")
# A second train in one cell gets a display of its own.
reply, msgs = run(kc, 'train(m, d, epochs: 1)\ntrain(m, d, epochs: 1)')
ids = [m["content"]["transient"]["display_id"] for m in of_type(msgs, "display_data")]
check(len(ids) == 2 and len(set(ids + [display_id])) == 3, "each train call has its own display", ids)

# A figure: display_data with a PNG.
reply, msgs = run(kc, 'plot_scatter(randn([50, 2]), "scatter.png", title: "kernel test")')
shown = of_type(msgs, "display_data")
check(reply["status"] == "ok" and len(shown) == 1 and "image/png" in shown[0]["content"]["data"],
      "a figure arrives as display_data image/png", msgs)
png = base64.b64decode(shown[0]["content"]["data"]["image/png"])
check(png[:8] == b"\x89PNG\r\n\x1a\n", "the display_data is a PNG")
check(not of_type(msgs, "execute_result"), "a cell ending in the figure's path does not echo the path")

# SVG and PDF figures arrive under their own MIME types: the SVG as text, the PDF in base64.
reply, msgs = run(kc, 'plot_lines(tensor([1, 3, 2]), "lines.svg")\nplot_lines(tensor([1, 3, 2]), "lines.pdf")')
shown = of_type(msgs, "display_data")
kinds = [sorted(k for k in m["content"]["data"] if k != "text/plain") for m in shown]
check(reply["status"] == "ok" and kinds == [["image/svg+xml"], ["application/pdf"]],
      "SVG and PDF figures arrive as image/svg+xml and application/pdf", kinds)
if kinds == [["image/svg+xml"], ["application/pdf"]]:
    svg = shown[0]["content"]["data"]["image/svg+xml"]
    pdf = base64.b64decode(shown[1]["content"]["data"]["application/pdf"])
    check("<svg" in svg and pdf[:5] == b"%PDF-", "the SVG is the file's text, the PDF its bytes")
    check("(SVG," in shown[0]["content"]["data"]["text/plain"], "text/plain is the [figure] line",
          shown[0]["content"]["data"]["text/plain"])

# An error: lebm's message and location.
reply, msgs = run(kc, "y = 1\ny + nope")
errors = of_type(msgs, "error")
check(reply["status"] == "error" and errors, "an error is reported", reply)
check("nope" in errors[0]["content"]["evalue"], "evalue is lebm's message", errors[0]["content"])
check(any(":2:" in line for line in errors[0]["content"]["traceback"]),
      "the traceback gives the line", errors[0]["content"]["traceback"])

# Completion: builtins, variables, fields.
def complete(code, cursor=None):
    return kc.complete(code, cursor_pos=cursor, reply=True, timeout=30)["content"]

c = complete("tra")
check("train" in c["matches"] and c["cursor_start"] == 0 and c["cursor_end"] == 3, "completes a builtin", c)
c = complete("a = 1\nprint(x")
check("x" in c["matches"] and c["cursor_start"] == 12, "completes a variable on a later line", c)
c = complete("m.ste")
check("steps" in c["matches"] and c["cursor_start"] == 2, "completes a field", c)
c = complete("E = energy_net(2, ")
check(c["matches"] == ["hidden: ", "act: ", "slope: ", "form: "] and c["cursor_start"] == c["cursor_end"] == 18,
      "after a call's comma: the keywords it has not been given, in its order", c)
c = complete("train(m, d, e")
keywords = [x for x in c["matches"] if x.endswith(": ")]
check(c["matches"][:2] == ["epochs: ", "every: "] and c["matches"][:len(keywords)] == keywords and "energy_net" in c["matches"],
      "on a word inside a call: its keywords first, then the names", c)

# Inspection: help(name).
r = kc.inspect("train(m, d)", cursor_pos=2, reply=True, timeout=30)["content"]
check(r["found"] and "train(" in r["data"]["text/plain"], "inspect shows help(train)", r)
r = kc.inspect("train(m, ", cursor_pos=9, reply=True, timeout=30)["content"]
check(r["found"] and "train(" in r["data"]["text/plain"], "inspect inside a call shows the call's help", r)
r = kc.inspect("x", cursor_pos=1, reply=True, timeout=30)["content"]
check(r["found"] and r["data"]["text/plain"].startswith("x: number\n20\n"),
      "inspect of a variable shows what help(x) does: its type and value", r)
r = kc.inspect("no_such_name", cursor_pos=3, reply=True, timeout=30)["content"]
check(r["status"] == "ok" and not r["found"], "inspect of an unknown name finds nothing", r)

# is_complete from the parser.
def is_complete(code):
    msg_id = kc.is_complete(code)
    reply = kc.get_shell_msg(timeout=30)
    check(reply["parent_header"]["msg_id"] == msg_id, "the is_complete reply answers its request")
    return reply["content"]["status"]

check(is_complete("1 + 1") == "complete", "is_complete: complete")
check(is_complete("for i in 1..3 {") == "incomplete", "is_complete: an open block")
check(is_complete("1 +)") == "invalid", "is_complete: invalid")

# Interrupt a long `train`: the cell stops, the session keeps its state.
seen_epoch = []
def watch(msg):
    if msg["msg_type"] == "stream" and re.search(r"epoch +2/", msg["content"]["text"]) and not seen_epoch:
        seen_epoch.append(True)
        km.interrupt_kernel()

started = time.monotonic()
reply, msgs = run(kc, "train(m, d, epochs: 100000, every: 1)\nprint(\"not reached\")", on_message=watch)
check(seen_epoch, "train ran until interrupted")
check(reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt", "the interrupted cell reports it", reply)
check(re.fullmatch(r"interrupted after step (\d+) of 400000; the model keeps those \1 steps \(\d+ in all\)", reply["evalue"]),
      "the interruption says where train stopped", reply["evalue"])
check(time.monotonic() - started < 60, "the interrupt stopped the cell promptly")
text = "".join(m["content"]["text"] for m in of_type(msgs, "stream"))
check("not reached" not in text, "the rest of the cell did not run")
reply, msgs = run(kc, "m.steps > 6")
results = of_type(msgs, "execute_result")
check(results and results[0]["content"]["data"]["text/plain"] == "true", "state is kept after the interrupt", msgs)
reply, msgs = run(kc, "x")
check(of_type(msgs, "execute_result")[0]["content"]["data"]["text/plain"] == "20", "variables survive the interrupt")

# Shutdown reaches a busy kernel (control is served on its own thread): start a long `train`,
# wait for its first epoch line, then ask the kernel to shut down.
busy_id = kc.execute("train(m, d, epochs: 100000, every: 1)")
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    msg = kc.get_iopub_msg(timeout=60)
    if msg["parent_header"].get("msg_id") == busy_id and msg["msg_type"] == "stream":
        break
kc.shutdown()
try:
    code = process.wait(timeout=20)
except subprocess.TimeoutExpired:
    code = None
check(code == 0, "shutdown_request ends a busy kernel with status 0", code)
kc.stop_channels()
km.cleanup_resources()
print("all checks passed")
