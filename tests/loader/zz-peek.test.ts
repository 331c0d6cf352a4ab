import { it } from "vitest";
import { standardVm, stage, load } from "/work/main/tests/loader/linux-setup.ts";
import { readBootState, readE820Table } from "/work/main/tests/loader/vm.ts";
it("peek", () => { standardVm(128*1024*1024); stage(); const [st, info] = load(); console.log(st, JSON.stringify(info, (k, x) => typeof x === "bigint" ? x.toString(16) : typeof x === "number" ? "0x"+x.toString(16) : x)); console.log(readE820Table()); const s = readBootState(); console.log(s.rip.toString(16), s.cs, s.tr); });
