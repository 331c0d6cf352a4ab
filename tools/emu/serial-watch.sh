# serial-watch.sh -- sourced by bochs-run.sh and qemu-run.sh: watching the emulator's serial file.
# Uses the caller's variables: $serial (the file), $until (an extended regex, may be empty) and
# $follow (1: copy new output to stdout).

# only complete lines count: a line still being printed must not match early
matched() { [ -n "$until" ] && [ -f "$serial" ] && head -n "$(wc -l < "$serial")" "$serial" | tr -d '\r' | grep -aE -- "$until" > /dev/null; }

# --follow: copy what arrived since the last look (the poll loop is the only reader, so nothing
# has to be stopped afterwards and nothing is lost when the run ends between two looks)
shown=0
show_new() {
  [ "$follow" = 1 ] && [ -f "$serial" ] || return 0
  local size; size=$(stat -c %s "$serial")
  if [ "$size" -gt "$shown" ]; then
    tail -c +$((shown + 1)) "$serial" | head -c $((size - shown)); shown=$size
  fi
}
