/**
 * Gazetteer reader throughput. Writes a synthetic AddressBase Premium file
 * (about six lines per address, text quoted as OS writes it) to a temporary
 * directory, then reads it with readGazetteerFile + GazetteerTally, and, for
 * comparison, with csv-parse alone (line numbers on, no record mapping).
 *
 *   GAZETTEER_BENCH_ADDRESSES=500000 npx tsx bench/gazetteer-read.ts
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { parse } from 'csv-parse';
import { readGazetteerFile } from '../adapters/gazetteer/read.js';
import { GazetteerTally } from '../adapters/gazetteer/tally.js';

const addresses = Number(process.env.GAZETTEER_BENCH_ADDRESSES ?? 100_000);
const withCsvParse = process.env.GAZETTEER_BENCH_CSV_PARSE !== '0';

async function writeSynthetic(file: string): Promise<number> {
  const out = createWriteStream(file);
  let lines = 0;
  let batch: string[] = [];
  const emit = async (line: string) => {
    batch.push(line);
    lines++;
    if (batch.length >= 5000) {
      if (!out.write(batch.join('\r\n') + '\r\n')) await once(out, 'drain');
      batch = [];
    }
  };
  const d = '2020-01-01';
  await emit(`10,"BENCH COUNCIL",9999,${d},1,${d},10:00:00,1.0,"F"`);
  const streets = ['HIGH STREET', 'MILL LANE', 'CHURCH ROAD', 'STATION ROAD, NORTH', 'THE "OLD" WALK'];
  for (let i = 0; i < addresses; i++) {
    const uprn = 100000000000 + i;
    const usrn = 20000000 + Math.floor(i / 50);
    const name = streets[i % streets.length]!.replaceAll('"', '""');
    if (i % 50 === 0) {
      await emit(`11,"I",${lines},${usrn},1,9999,2,${d},,,1,${d},,${d},${d},400000.00,300000.00,51.5,-1.5,400100.00,300100.00,51.6,-1.6,10`);
      await emit(`15,"I",${lines},${usrn},"${name}","NORTHEND","ANYTOWN","ANYSHIRE","ENG",${d},,${d},${d}`);
    }
    const flat = i % 3 === 0 ? `${(i % 9) + 1},"",,"",""` : `,"",,"","${i % 7 === 0 ? 'GROUND FLOOR FLAT' : ''}"`;
    await emit(`21,"I",${lines},${uprn},1,2,${d},,${400000 + (i % 1000)}.50,${300000 + (i % 997)}.25,51.${i % 99999},-1.${i % 99999},1,9999,"E",${d},,${d},${d},"D","AB${i % 99} ${i % 9}CD",0`);
    await emit(`24,"I",${lines},${uprn},"9999L${String(i).padStart(9, '0')}","ENG",1,${d},,${d},${d},${flat},${(i % 200) + 1},"",,"","",${usrn},1,"","","Y"`);
    if (i % 5 < 2) await emit(`24,"I",${lines},${uprn},"9999L${String(i + 1e8).padStart(9, '0')}","ENG",3,${d},,${d},${d},,"",,"","",,"",,"","ROSE COTTAGE",${usrn},1,"","","N"`);
    await emit(`28,"I",${lines},${uprn},${50000000 + i},"","","","",${(i % 200) + 1},"","${name}","","","ANYTOWN","AB${i % 99} ${i % 9}CD","S","1A","","","","","","",${d},${d},,${d},${d}`);
    await emit(`32,"I",${lines},${uprn},"9999C${String(i).padStart(9, '0')}","RD04","AddressBase Premium Classification Scheme",1.0,${d},,${d},${d}`);
    if (i % 5 < 3) await emit(`23,"I",${lines},${uprn},"9999X${String(i).padStart(9, '0')}","VOA${i}",1,"7666VC",${d},,${d},${d}`);
  }
  await emit(`99,0,${lines - 1},${d},10:00:00`);
  out.end(batch.join('\r\n') + '\r\n');
  await once(out, 'finish');
  return lines;
}

function report(label: string, lines: number, seconds: number, bytes: number): void {
  const rate = Math.round(lines / seconds);
  console.log(`${label.padEnd(28)} ${seconds.toFixed(2)} s  ${rate.toLocaleString('en-GB')} lines/s  ${(bytes / 1e6 / seconds).toFixed(1)} MB/s`);
}

const dir = await mkdtemp(path.join(tmpdir(), 'gazetteer-bench-'));
try {
  const file = path.join(dir, 'AddressBasePremium_FULL_2020-01-01_001.csv');
  const lines = await writeSynthetic(file);
  const { size } = await stat(file);
  console.log(`synthetic AddressBase Premium: ${addresses.toLocaleString('en-GB')} addresses, ${lines.toLocaleString('en-GB')} lines, ${(size / 1e6).toFixed(1)} MB`);

  let t = performance.now();
  const tally = new GazetteerTally();
  for await (const e of readGazetteerFile(file)) tally.add(e);
  const readSeconds = (performance.now() - t) / 1000;
  if (!tally.clean) throw new Error(`bench file did not read clean: ${tally.rejectCount} rejects, trailer ${tally.trailerCount} vs ${tally.dataLines}`);
  report('readGazetteerFile + tally', lines, readSeconds, size);
  console.log(`  records ${JSON.stringify(tally.records)}; heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`);

  if (withCsvParse) {
    t = performance.now();
    let n = 0;
    const parser = createReadStream(file).pipe(parse({ relax_column_count: true, info: true, bom: true }));
    for await (const _ of parser) n++;
    report('csv-parse alone (info on)', n, (performance.now() - t) / 1000, size);
  }
  const perMillion = (readSeconds / lines) * 3e6;
  console.log(`projected for 3 million lines (~500,000 addresses): ${perMillion.toFixed(1)} s of reading`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
