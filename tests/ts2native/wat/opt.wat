;; Optimizations of the lowered form and the allocator, against V8 (tests/ts2native/opt.test.ts):
;; joined equality tests, narrowed wraps and byte operations (combine.ts), folded addresses
;; (addrfold.ts), constant globals (consts.ts), jump threading (thread.ts), values across loops
;; and calls (lsra.ts), parameters overwritten before they are read (resolve.ts).
(module
  (memory (export "mem") 1)
  (global $table (mut i32) (i32.const 0))
  (global $seed i64 (i64.const 0x9e3779b97f4a7c15))
  (start $init)
  ;; $table becomes a constant (set first thing by the start function, read everywhere else)
  (func $init (local $i i32)
    (global.set $table (i32.const 1024))
    (loop $l
      (i32.store (i32.add (global.get $table) (i32.shl (local.get $i) (i32.const 2)))
        (i32.xor (i32.mul (local.get $i) (i32.const 0x01010101)) (i32.const 0x5a)))
      (i32.store16 (i32.add (i32.const 8192) (i32.shl (local.get $i) (i32.const 1))) (i32.mul (local.get $i) (i32.const 257)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 256)))))

  ;; bit masks of equality tests joined by and/or: adjacent constants, one bit apart, wrapping
  (func (export "eq32") (param $x i32) (result i32)
    (i32.or
      (i32.or
        (i32.and (i32.ne (local.get $x) (i32.const 5)) (i32.ne (local.get $x) (i32.const 6)))
        (i32.shl (i32.or (i32.eq (local.get $x) (i32.const 4)) (i32.eq (local.get $x) (i32.const 6))) (i32.const 1)))
      (i32.or
        (i32.shl (i32.or (i32.eq (local.get $x) (i32.const -1)) (i32.eq (local.get $x) (i32.const 0))) (i32.const 2))
        (i32.or
          (i32.shl (i32.or (i32.eq (i32.const 0x7fffffff) (local.get $x)) (i32.eq (local.get $x) (i32.const 0x80000000))) (i32.const 3))
          (if (result i32) (i32.and (i32.ne (local.get $x) (i32.const 8)) (i32.ne (local.get $x) (i32.const 7)))
            (then (i32.const 16)) (else (i32.const 32)))))))
  (func (export "eq64") (param $x i64) (result i32)
    (i32.or
      (i32.and (i64.ne (local.get $x) (i64.const -1)) (i64.ne (local.get $x) (i64.const 0)))
      (i32.or
        (i32.shl (i32.or (i64.eq (local.get $x) (i64.const 0x100000000)) (i64.eq (local.get $x) (i64.const 0x100000001))) (i32.const 1))
        (i32.shl (i32.or (i64.eq (local.get $x) (i64.const 0x8000000000000000)) (i64.eq (local.get $x) (i64.const 0))) (i32.const 2)))))

  ;; i32.wrap_i64 of i64 operations, done in 32 bits (shl by 37 must not be)
  (func (export "narrow") (param $x i64) (param $y i64) (result i32)
    (i32.xor
      (i32.xor (i32.wrap_i64 (i64.add (local.get $x) (local.get $y))) (i32.wrap_i64 (i64.mul (local.get $x) (local.get $y))))
      (i32.xor
        (i32.xor (i32.wrap_i64 (i64.shl (local.get $x) (i64.const 5))) (i32.wrap_i64 (i64.shl (local.get $y) (i64.const 37))))
        (i32.xor (i32.wrap_i64 (i64.sub (local.get $x) (local.get $y)))
          (i32.wrap_i64 (i64.add (i64.add (local.get $x) (i64.shl (local.get $y) (i64.const 3))) (i64.const 16)))))))

  ;; table-driven CRC step: byte xor, folded table address (constant global + (x & 0xff) * 4)
  (func (export "crc") (param $c i32) (param $n i32) (result i32) (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $c
          (i32.xor
            (i32.load (i32.add (global.get $table)
              (i32.shl (i32.and (i32.xor (local.get $c) (i32.load8_u (i32.add (i32.const 1024) (local.get $i)))) (i32.const 0xff)) (i32.const 2))))
            (i32.shr_u (local.get $c) (i32.const 8))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $c))
  ;; word variant, and addresses that may or may not wrap: ((x & 0xff) * 4 + d) for d = -8 wraps
  ;; below 0 for small x (both engines trap), d = 1020 does not
  (func (export "word") (param $a i32) (param $x i32) (result i32)
    (i32.load16_u (i32.add (i32.const 8192)
      (i32.shl (i32.and (i32.xor (i32.load16_u (i32.add (i32.const 8192) (i32.shl (i32.and (local.get $x) (i32.const 0xff)) (i32.const 1)))) (local.get $a)) (i32.const 0xff)) (i32.const 1)))))
  (func (export "addr") (param $x i32) (param $d i32) (result i32)
    (if (result i32) (local.get $d)
      (then (i32.load (i32.sub (i32.shl (i32.and (local.get $x) (i32.const 0xff)) (i32.const 2)) (i32.const 8))))
      (else (i32.load offset=4 (i32.add (i32.shl (i32.and (local.get $x) (i32.const 0xff)) (i32.const 2)) (i32.const 1020))))))

  ;; addresses bounded by the loop test (j <u 256 on every way into the body): folded
  (func (export "sum") (param $step i32) (result i32) (local $j i32) (local $s i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $j) (i32.const 256)))
        (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (i32.const 1024) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.or (local.get $step) (i32.const 1))))
        (br $l)))
    (local.get $s))
  ;; a join where one way in is not bounded: x + 0xfffffff0 may wrap (to a valid address) and
  ;; must not be folded
  (func (export "maybe") (param $x i32) (param $y i32) (result i32)
    (if (i32.lt_u (local.get $x) (i32.const 16)) (then (nop)) (else (local.set $x (local.get $y))))
    (i32.load8_u (i32.add (local.get $x) (i32.const 0xfffffff0))))

  ;; if-conversion (ifconv.ts): small blocks under a branch become CMOVs, one of them writing its
  ;; own condition's operand (x) and copying a constant
  (func (export "ifconv") (param $x i32) (param $y i32) (result i32) (local $c i32) (local $l i32)
    (local.set $c (i32.const 10))
    (local.set $l (i32.const 20))
    (if (i32.ne (local.get $x) (i32.const 0))
      (then (local.set $c (i32.add (local.get $c) (i32.const 1))) (local.set $l (local.get $y))))
    (if (i32.lt_u (local.get $x) (local.get $y))
      (then (local.set $x (i32.const 7)) (local.set $c (i32.mul (local.get $c) (local.get $x)))))
    (i32.add (i32.mul (local.get $c) (i32.const 1000)) (i32.add (local.get $l) (local.get $x))))

  ;; branches on the AND / OR of two comparisons, plain and negated: two branches (combine.ts)
  (func (export "logic") (param $x i32) (param $y i64) (result i32) (local $r i32)
    (if (i32.and (i32.le_u (local.get $x) (i32.const 3)) (i64.ne (i64.and (local.get $y) (i64.const 128)) (i64.const 0)))
      (then (local.set $r (i32.const 1))))
    (if (i32.eqz (i32.and (i32.gt_s (local.get $x) (i32.const 10)) (i64.lt_u (local.get $y) (i64.const 1000))))
      (then (local.set $r (i32.or (local.get $r) (i32.const 2)))))
    (if (i32.or (i32.eq (local.get $x) (i32.const 5)) (i64.gt_s (local.get $y) (i64.const 50)))
      (then (local.set $r (i32.or (local.get $r) (i32.const 4)))))
    (if (i32.eqz (i32.or (i32.lt_u (local.get $x) (i32.const 2)) (i64.eqz (local.get $y))))
      (then (local.set $r (i32.or (local.get $r) (i32.const 8)))))
    (local.get $r))

  ;; (i + c) << k in an address tree: i*2^k + (c << k), also for negative c (peephole.ts);
  ;; i = 0 with c = -1 wraps to 0xfffffffc (out of bounds: trap)
  (func (export "shiftsum") (param $i i32) (result i32)
    (i32.add
      (i32.load offset=8 (i32.add (i32.const 1024) (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 2))))
      (i32.load (i32.shl (i32.add (local.get $i) (i32.const -1)) (i32.const 2)))))

  ;; status codes through block results (thread.ts)
  (func $check (param $x i32) (result i32)
    (block $b (result i32)
      (drop (br_if $b (i32.const 3) (i32.eqz (local.get $x))))
      (drop (br_if $b (i32.const 0) (i32.lt_s (local.get $x) (i32.const 10))))
      (drop (br_if $b (i32.const 2) (i32.gt_u (local.get $x) (i32.const 1000))))
      (i32.const 0)))
  (func (export "status") (param $x i32) (result i32) (local $s i32)
    (local.set $s (call $check (local.get $x)))
    (if (result i32) (i32.eqz (local.tee $s (block $b (result i32)
          (drop (br_if $b (i32.const 3) (i32.eqz (local.get $x))))
          (drop (br_if $b (i32.const 0) (i32.lt_s (local.get $x) (i32.const 10))))
          (drop (br_if $b (i32.const 2) (i32.gt_u (local.get $x) (i32.const 1000))))
          (i32.const 0))))
      (then (i32.add (local.get $s) (i32.const 100)))
      (else (i32.add (local.get $s) (i32.mul (i32.const 10) (call $check (local.get $x)))))))

  ;; more values than registers across nested loops and a call (lsra.ts splitting, spilling
  ;; around loops and calls, resolution moves on back edges)
  (func $mix (param $a i64) (param $b i32) (result i64)
    (i64.xor (i64.rotl (local.get $a) (i64.const 13)) (i64.extend_i32_u (local.get $b))))
  (func (export "pressure") (param $n i32) (result i64)
    (local $a i64) (local $b i64) (local $c i64) (local $d i64) (local $e i64) (local $f i64) (local $g i64)
    (local $h i64) (local $i i32) (local $j i32) (local $k i64) (local $m i64) (local $p f64) (local $q f64)
    (local.set $a (global.get $seed)) (local.set $b (i64.const 2)) (local.set $c (i64.const 3)) (local.set $d (i64.const 4))
    (local.set $e (i64.const 5)) (local.set $f (i64.const 6)) (local.set $g (i64.const 7)) (local.set $h (i64.const 8))
    (local.set $k (i64.const 9)) (local.set $m (i64.const 10)) (local.set $p (f64.const 0.5)) (local.set $q (f64.const 1.5))
    (block $out
      (loop $outer
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $j (i32.const 0))
        (loop $inner
          (local.set $a (i64.add (local.get $a) (i64.mul (local.get $b) (local.get $c))))
          (local.set $b (i64.xor (local.get $b) (i64.rotl (local.get $a) (i64.const 7))))
          (local.set $c (i64.add (local.get $c) (i64.extend_i32_u (local.get $j))))
          (local.set $p (f64.add (local.get $p) (f64.convert_i64_s (i64.and (local.get $a) (i64.const 1023)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $inner (i32.lt_u (local.get $j) (i32.const 7))))
        (local.set $d (i64.add (local.get $d) (call $mix (local.get $a) (local.get $i))))
        (local.set $e (i64.xor (local.get $e) (local.get $d)))
        (local.set $f (i64.sub (local.get $f) (local.get $e)))
        (local.set $g (i64.add (local.get $g) (i64.rotl (local.get $f) (i64.const 3))))
        (local.set $h (i64.xor (local.get $h) (local.get $g)))
        (local.set $k (i64.add (local.get $k) (local.get $h)))
        (local.set $m (i64.xor (local.get $m) (i64.mul (local.get $k) (i64.const 31))))
        (local.set $q (f64.mul (local.get $q) (f64.const 1.0001)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (i64.xor
      (i64.xor (i64.xor (local.get $a) (local.get $b)) (i64.xor (local.get $c) (local.get $d)))
      (i64.xor
        (i64.xor (i64.xor (local.get $e) (local.get $f)) (i64.xor (local.get $g) (local.get $h)))
        (i64.xor (i64.xor (local.get $k) (local.get $m))
          (i64.xor (i64.trunc_sat_f64_s (local.get $p)) (i64.reinterpret_f64 (local.get $q)))))))

  ;; a parameter overwritten before it is read: its arrival register must not clobber the others
  (func (export "params") (param $a i32) (param $b i32) (param $c i64) (param $d i32) (result i64)
    (local.set $a (i32.mul (local.get $b) (local.get $d)))
    (i64.add (i64.extend_i32_u (local.get $a)) (i64.mul (local.get $c) (i64.extend_i32_u (local.get $b)))))
  ;; loop counters (induction.ts): signed counters bounding addresses (folded), one that wraps
  ;; past 2^31 - 1 (its address wraps back into memory: must not be folded), a count down, a bound
  ;; that is a parameter, and one that runs off the end of memory (traps in both engines)
  (func (export "counters") (param $sel i32) (param $n i32) (result i32) (local $i i32) (local $j i32) (local $s i32)
    (block $out
      (br_if $out (i32.ne (local.get $sel) (i32.const 0)))
      (loop $rows
        (local.set $j (i32.const 0))
        (loop $cols
          (local.set $s (i32.add (local.get $s) (i32.load16_u (i32.add (i32.const 8192)
            (i32.shl (i32.add (i32.mul (local.get $i) (i32.const 16)) (local.get $j)) (i32.const 1))))))
          (i32.store8 (i32.add (i32.const 16384) (i32.add (i32.mul (local.get $i) (i32.const 16)) (local.get $j))) (local.get $s))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $cols (i32.lt_s (local.get $j) (i32.const 16))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $rows (i32.lt_s (local.get $i) (i32.const 16))))
      (return (i32.add (local.get $s) (i32.load (i32.const 16400)))))
    (block $out
      (br_if $out (i32.ne (local.get $sel) (i32.const 1)))
      (local.set $i (i32.const 0x7ffffffc))
      (loop $l
        (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (local.get $i) (i32.const 0x80000010)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.ne (local.get $i) (i32.const 0x80000004))))
      (return (local.get $s)))
    (block $out
      (br_if $out (i32.ne (local.get $sel) (i32.const 2)))
      (local.set $i (i32.const 256))
      (loop $l
        (local.set $s (i32.xor (i32.rotl (local.get $s) (i32.const 5)) (i32.load (i32.add (i32.const 1020) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br_if $l (i32.gt_s (local.get $i) (i32.const 0))))
      (return (local.get $s)))
    (block $out
      (br_if $out (i32.ne (local.get $sel) (i32.const 3)))
      (loop $l
        (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (i32.const 1024) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 3)))
        (br_if $l (i32.lt_s (local.get $i) (local.get $n))))
      (return (local.get $s)))
    ;; w[i - 7]: folded for i >= 16; for i from 0 the index wraps (to a valid address): not folded
    (block $out
      (br_if $out (i32.ne (local.get $sel) (i32.const 5)))
      (loop $l
        (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 3))
          (i32.load (i32.add (i32.const 1024) (i32.shl (i32.sub (local.get $i) (i32.const 7)) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_s (local.get $i) (i32.const 64))))
      (return (local.get $s)))
    (block $out
      (br_if $out (i32.ne (local.get $sel) (i32.const 6)))
      (local.set $j (i32.const 16))
      (loop $l
        (local.set $s (i32.add (i32.rotl (local.get $s) (i32.const 3))
          (i32.load (i32.add (i32.const 1024) (i32.shl (i32.sub (local.get $j) (i32.const 7)) (i32.const 2))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $l (i32.lt_s (local.get $j) (i32.const 64))))
      (return (local.get $s)))
    (local.set $i (i32.const -8))
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load (i32.add (i32.const 64) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_s (local.get $i) (i32.const 8))))
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load (i32.add (i32.const 1024) (i32.shl (local.get $j) (i32.const 12))))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $j) (i32.const 1000000))))
    (local.get $s))
  ;; loads of what was just stored or read (loadelim.ts): kept where another pointer, a narrower
  ;; store, a call or a bulk fill may have changed the bytes; widened reads of an i32 store
  (func $poke (param $p i32) (i32.store (local.get $p) (i32.const 0x5555)))
  (func (export "loads") (param $p i32) (param $q i32) (param $v i32) (result i64) (local $r i64) (local $t i32)
    (i32.store offset=32768 (local.get $p) (local.get $v))
    (i32.store offset=32768 (local.get $q) (i32.const 7))
    (local.set $r (i64.extend_i32_u (i32.load offset=32768 (local.get $p))))
    (i32.store offset=32768 (local.get $p) (local.get $v))
    (i32.store8 offset=32769 (local.get $p) (i32.const 0xab))
    (local.set $r (i64.add (i64.mul (local.get $r) (i64.const 31)) (i64.extend_i32_u (i32.load offset=32768 (local.get $p)))))
    (i32.store offset=32768 (local.get $p) (local.get $v))
    (local.set $r (i64.add (local.get $r) (i64.load32_s offset=32768 (local.get $p))))
    (local.set $r (i64.add (local.get $r) (i64.load32_u offset=32768 (local.get $p))))
    (i32.store (i32.const 40000) (local.get $v))
    (i32.store offset=40000 (local.get $q) (i32.const 9))
    (local.set $r (i64.add (i64.mul (local.get $r) (i64.const 31)) (i64.extend_i32_u (i32.load (i32.const 40000)))))
    (i32.store offset=32768 (local.get $p) (local.get $v))
    (call $poke (i32.add (local.get $p) (i32.const 32768)))
    (local.set $r (i64.add (i64.mul (local.get $r) (i64.const 31)) (i64.extend_i32_u (i32.load offset=32768 (local.get $p)))))
    (i32.store offset=32768 (local.get $p) (local.get $v))
    (memory.fill (i32.add (local.get $q) (i32.const 32768)) (i32.const 0x11) (i32.const 4))
    (local.set $r (i64.add (i64.mul (local.get $r) (i64.const 31)) (i64.extend_i32_u (i32.load offset=32768 (local.get $p)))))
    ;; a value read twice with the pointer changed in between, and down both ways of an if
    (local.set $t (i32.load offset=32768 (local.get $p)))
    (local.set $p (local.get $q))
    (local.set $t (i32.add (local.get $t) (i32.load offset=32768 (local.get $p))))
    (i64.store offset=32776 (local.get $p) (i64.extend_i32_s (local.get $v)))
    (if (i32.and (local.get $v) (i32.const 1))
      (then (i64.store offset=32780 (local.get $q) (i64.const -1)))
      (else (local.set $t (i32.add (local.get $t) (i32.const 1)))))
    (i64.add (i64.add (local.get $r) (i64.extend_i32_u (local.get $t))) (i64.load offset=32776 (local.get $p))))
  ;; one bit above bit 30 set, cleared, flipped (emit-int.ts: BTS/BTR/BTC); bit fields
  (func (export "bits") (param $x i64) (result i64)
    (i64.add
      (i64.add (i64.add (i64.or (local.get $x) (i64.const 0x20000000000000)) (i64.and (local.get $x) (i64.const 0xfffffeffffffffff)))
        (i64.add (i64.xor (local.get $x) (i64.const 0x8000000000000000))
          (i64.mul (i64.or (local.get $x) (i64.const 0x80000000)) (i64.and (local.get $x) (i64.const 0xffffffff7fffffff)))))
      ;; a field masked then shifted (peephole.ts: shifted, then masked), wrapped when it is small
      (i64.add (i64.shr_u (i64.and (local.get $x) (i64.const 0x30000000000000)) (i64.const 52))
        (i64.extend_i32_u (i32.add (i32.mul (i32.wrap_i64 (i64.shr_u (i64.and (local.get $x) (i64.const 0xff00000000000)) (i64.const 40))) (i32.const 3))
          (i32.wrap_i64 (i64.rotl (local.get $x) (i64.const 9))))))))
  ;; stores of low bytes read back extended (loadelim.ts), of values and of constants
  (func (export "narrowloads") (param $p i32) (param $x i64) (result i64) (local $r i64) (local $v i32)
    (local.set $v (i32.wrap_i64 (i64.rotl (local.get $x) (i64.const 17))))
    (i32.store8 offset=256 (local.get $p) (local.get $v))
    (local.set $r (i64.extend_i32_u (i32.load8_s offset=256 (local.get $p))))
    (i32.store16 offset=258 (local.get $p) (local.get $v))
    (local.set $r (i64.add (i64.mul (local.get $r) (i64.const 31)) (i64.extend_i32_u (i32.load16_u offset=258 (local.get $p)))))
    (i64.store32 offset=264 (local.get $p) (local.get $x))
    (local.set $r (i64.add (i64.mul (local.get $r) (i64.const 31)) (i64.load32_u offset=264 (local.get $p))))
    (i64.store32 offset=264 (local.get $p) (local.get $x))
    (local.set $r (i64.add (i64.mul (local.get $r) (i64.const 31)) (i64.load32_s offset=264 (local.get $p))))
    (i64.store32 offset=264 (local.get $p) (local.get $x))
    (local.set $r (i64.add (i64.mul (local.get $r) (i64.const 31)) (i64.extend_i32_u (i32.load offset=264 (local.get $p)))))
    (i64.store8 offset=272 (local.get $p) (local.get $x))
    (local.set $r (i64.add (i64.mul (local.get $r) (i64.const 31)) (i64.load8_s offset=272 (local.get $p))))
    (i64.store16 offset=272 (local.get $p) (local.get $x))
    (local.set $r (i64.add (i64.mul (local.get $r) (i64.const 31)) (i64.load16_u offset=272 (local.get $p))))
    (i32.store16 offset=280 (local.get $p) (i32.const 0x18765))
    (local.set $r (i64.add (i64.mul (local.get $r) (i64.const 31)) (i64.extend_i32_u (i32.load16_s offset=280 (local.get $p)))))
    (i64.store32 offset=280 (local.get $p) (i64.const 0x1234567890abcdef))
    (local.set $r (i64.add (i64.mul (local.get $r) (i64.const 31)) (i64.load32_s offset=280 (local.get $p))))
    (i32.store offset=288 (local.get $p) (local.get $v))
    (local.set $r (i64.add (i64.mul (local.get $r) (i64.const 31)) (i64.load32_s offset=288 (local.get $p))))
    (f32.store offset=292 (local.get $p) (f32.const -1.5))
    (i64.add (local.get $r) (i64.extend_i32_u (i32.load offset=292 (local.get $p)))))
)
