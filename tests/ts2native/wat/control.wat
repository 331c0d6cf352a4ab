;; Control flow and calls (Core Specification §4.4.8): multi-value blocks and functions, block
;; parameters, br_table carrying values, loops with parameters, call_indirect and its traps,
;; stack-passed arguments, recursion and stack exhaustion, globals, select.
(module
  (type $ii_i (func (param i32 i32) (result i32)))
  (type $i_i (func (param i32) (result i32)))
  (type $i_i2 (func (param i32) (result i32)))   ;; structurally equal to $i_i
  (type $l_l (func (param i64) (result i64)))
  (table 6 funcref)
  (elem (i32.const 0) $add $sub $double $dbl64 $add)
  (global $g (mut i64) (i64.const 7))
  (global $gf (mut f64) (f64.const 1.5))
  (global (export "gconst") i32 (i32.const 0x1234))
  (global (export "gmut") (mut i64) (i64.const -2))
  (func $add (type $ii_i) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $ii_i) (i32.sub (local.get 0) (local.get 1)))
  (func $double (type $i_i2) (i32.shl (local.get 0) (i32.const 1)))
  (func $dbl64 (type $l_l) (i64.shl (local.get 0) (i64.const 1)))

  (func (export "indirect") (param i32 i32 i32) (result i32)
    (call_indirect (type $ii_i) (local.get 1) (local.get 2) (local.get 0)))
  (func (export "indirect1") (param i32 i32) (result i32)
    (call_indirect (type $i_i) (local.get 1) (local.get 0)))

  (func $swap (param i32 i64) (result i64 i32) (local.get 1) (local.get 0))
  (func $three (param f64) (result f64 i32 f32)
    (f64.mul (local.get 0) (f64.const 2)) (i32.const -1) (f32.demote_f64 (local.get 0)))
  (func (export "multi") (param i32 i64 f64) (result i32 i64 f64 i32 f32)
    (call $swap (local.get 0) (local.get 1))
    (call $three (local.get 2))
    (drop) (drop)
    (block (param i64 i32 f64) (result i32 i64 f64)
      (local.set 2) (local.set 0) (local.set 1)
      (local.get 0) (local.get 1) (local.get 2))
    (i32.const 5) (f32.const 0.5))

  (func (export "brtable_values") (param i32 i32) (result i32 i32)
    (block $b2 (result i32 i32)
      (block $b1 (result i32 i32)
        (block $b0 (result i32 i32)
          (local.get 1) (i32.const 10) (local.get 0)
          (br_table $b0 $b1 $b2 $b1 $b0 $b2))
        (i32.add (i32.const 100)) (return))
      (i32.mul (i32.const 3)) (return))
    (i32.sub (i32.const 1000) (call $add)) (i32.const 9))

  (func (export "loop_params") (param i32) (result i32 i32)
    ;; Fibonacci with the pair carried as loop parameters
    (i32.const 0) (i32.const 1)
    (loop $l (param i32 i32) (result i32 i32)
      (local.get 0) (i32.eqz)
      (if (param i32 i32) (result i32 i32) (then) (else
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (call $fibstep) (br $l)))))
  (func $fibstep (param i32 i32) (result i32 i32) (local.get 1) (i32.add (local.get 0) (local.get 1)))

  (func $many (param i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64) (result i64 f64)
    (i64.add (i64.add (i64.add (i64.extend_i32_u (local.get 0)) (local.get 1)) (i64.add (i64.extend_i32_u (local.get 4)) (local.get 5)))
      (i64.add (i64.add (i64.extend_i32_u (local.get 8)) (local.get 9)) (i64.add (i64.add (i64.extend_i32_u (local.get 12)) (local.get 13))
        (i64.add (i64.extend_i32_u (local.get 16)) (i64.mul (local.get 17) (i64.const 3))))))
    (f64.add (f64.add (f64.add (f64.promote_f32 (local.get 2)) (local.get 3)) (f64.add (f64.promote_f32 (local.get 6)) (local.get 7)))
      (f64.add (f64.add (f64.promote_f32 (local.get 10)) (local.get 11)) (f64.add (f64.add (f64.promote_f32 (local.get 14)) (local.get 15))
        (f64.add (f64.promote_f32 (local.get 18)) (f64.mul (local.get 19) (f64.const 3)))))))
  (func (export "many") (param i32 f64) (result i64 f64)
    (call $many (local.get 0) (i64.const 1) (f32.const 2) (local.get 1) (i32.const 4) (i64.const 5) (f32.const 6) (f64.const 7)
      (i32.const 8) (i64.const 9) (f32.const 10) (f64.const 11) (local.get 0) (i64.const 13) (f32.const 14) (f64.const 15)
      (i32.const -1) (i64.const -17) (f32.const 18) (local.get 1)))

  (func $depth (export "depth") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $depth (i32.sub (local.get 0) (i32.const 1)))))))

  (func (export "globals") (param i64) (result i64 f64)
    (global.set $g (i64.add (global.get $g) (local.get 0)))
    (global.set $gf (f64.mul (global.get $gf) (f64.const 2)))
    (global.set 3 (i64.sub (global.get 3) (i64.const 1)))
    (global.get $g) (global.get $gf))

  (func (export "selects") (param i32 i64 i64) (result i64 i32)
    (select (local.get 1) (local.get 2) (local.get 0))
    (select (i32.const 7) (i32.const 8) (i64.lt_u (local.get 1) (local.get 2))))

  (func (export "nested") (param i32) (result i32)
    (local i32)
    (block $out
      (loop $l
        (br_if $out (i32.ge_s (local.get 1) (local.get 0)))
        (local.set 1 (i32.add (local.get 1) (i32.const 1)))
        (br_if $l (i32.and (local.get 1) (i32.const 1)))
        (local.set 1 (i32.add (local.get 1) (i32.const 10)))
        (br $l)))
    (local.get 1))
)
