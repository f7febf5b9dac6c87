import { describe, expect, it } from 'vitest';
import { HOSTILE_XML, readXml, type ReadItem } from '../../../adapters/readers/index.js';
import { chunked, collect, utf8 } from './collect.js';

const opts = { kind: 'xml' as const, recordPath: 'Tenancies/Tenancy' };
const fieldsOf = (items: ReadItem[]) => items.flatMap((i) => ('fields' in i ? [i.fields] : []));

const sample = `<?xml version="1.0" encoding="UTF-8"?>
<!-- nightly extract -->
<Tenancies>
  <Tenancy ref="T1" status="current">
    <Property uprn="100000000001"><Line>1 HIGH ST &amp; CO</Line><Line>TOWN</Line><Postcode>AA1 1AA</Postcode></Property>
    <Tenant><Forename>ANN</Forename></Tenant>
    <Tenant><Forename>BOB</Forename></Tenant>
  </Tenancy>
  <Tenancy ref="T2" status="ended"><Note a="x>y">Tenancy inside a note: &lt;Tenancy&gt;</Note><Tenant><Forename>CY</Forename></Tenant></Tenancy>
</Tenancies>
`;

describe('XML reader', () => {
  it('reads each element at the record path with attributes kept, across chunk edges', async () => {
    const items = await collect(readXml(chunked(utf8(sample), 11), opts, { path: 't.xml' }));
    expect(fieldsOf(items)).toEqual([
      {
        '@ref': 'T1',
        '@status': 'current',
        Property: { '@uprn': '100000000001', Line: ['1 HIGH ST & CO', 'TOWN'], Postcode: 'AA1 1AA' },
        Tenant: [{ Forename: 'ANN' }, { Forename: 'BOB' }],
      },
      { '@ref': 'T2', '@status': 'ended', Note: { '#text': 'Tenancy inside a note: <Tenancy>', '@a': 'x>y' }, Tenant: { Forename: 'CY' } },
    ]);
    expect(items[0]).toMatchObject({ position: { line: 4, index: 0, path: 't.xml' }, raw: expect.stringMatching(/^<Tenancy ref="T1".*<\/Tenancy>$/s) });
    expect(items[1]).toMatchObject({ position: { line: 9, index: 1 } });
  });

  it('only takes records at the stated path', async () => {
    const xml = '<Export><Tenancies><Tenancy ref="A"/></Tenancies><Archive><Tenancy ref="OLD"/></Archive></Export>';
    const items = await collect(readXml(utf8(xml), { kind: 'xml', recordPath: 'Export/Tenancies/Tenancy' }));
    expect(fieldsOf(items)).toEqual([{ '@ref': 'A' }]);
  });

  it('says when the document has another root, instead of reading it as an empty batch', async () => {
    const items = await collect(readXml(utf8('<?xml version="1.0"?>\n<Records>\n<Tenancy ref="A"/></Records>'), opts));
    expect(items).toEqual([{ error: { position: { line: 2, index: 0 }, reason: 'wrong-root: the root element is <Records>; records are read at Tenancies/Tenancy' } }]);
  });

  it('says when the text holds no element at all, instead of reading it as an empty batch', async () => {
    for (const text of ['', 'MR ANN TESTER, 01/02/1970', '<?xml version="1.0"?>\n<!-- nothing -->\n']) {
      const items = await collect(readXml(utf8(text), opts));
      expect(items).toEqual([{ error: { position: { line: 1, index: 0 }, reason: 'malformed-xml: no root element; records are read at Tenancies/Tenancy' } }]);
    }
    expect(await collect(readXml(utf8('<Tenancies/>'), opts))).toEqual([]);
  });

  it('rejects another element among the records and reads on', async () => {
    const xml = '<Tenancies>\n<Tenancy ref="A"/>\n<Tenency ref="B"><Tenant><Forename>ZED</Forename></Tenant></Tenency>\n<Tenancy ref="C"/></Tenancies>';
    const items = await collect(readXml(utf8(xml), opts));
    expect(fieldsOf(items)).toEqual([{ '@ref': 'A' }, { '@ref': 'C' }]);
    expect(items[1]).toEqual({ error: { position: { line: 3, index: 1 }, reason: 'unexpected-element: <Tenency> among the <Tenancy> records' } });
    expect(items[2]).toMatchObject({ position: { line: 4, index: 2 } });
  });

  it('refuses a DOCTYPE with entity declarations (billion laughs)', async () => {
    const xml = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Tenancies><Tenancy ref="T1"><Note>&lol2;</Note></Tenancy></Tenancies>`;
    const items = await collect(readXml(utf8(xml), opts));
    expect(items).toEqual([{ error: { position: { line: 2, index: 0 }, reason: HOSTILE_XML } }]);
  });

  it('refuses an external entity', async () => {
    const xml = '<!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Tenancies><Tenancy ref="T1">&xxe;</Tenancy></Tenancies>';
    const items = await collect(readXml(utf8(xml), opts));
    expect(items).toEqual([{ error: { position: { line: 1, index: 0 }, reason: HOSTILE_XML } }]);
    expect(JSON.stringify(items)).not.toContain('root:');
  });

  it('refuses a declaration hidden inside a record', async () => {
    const xml = '<Tenancies><Tenancy ref="T1"><!ENTITY x "y"></Tenancy></Tenancies>';
    expect(await collect(readXml(utf8(xml), opts))).toEqual([{ error: { position: { line: 1, index: 0 }, reason: HOSTILE_XML } }]);
  });

  it('refuses a record nested too deep and reads the next', async () => {
    const deep = `${'<a>'.repeat(10)}x${'</a>'.repeat(10)}`;
    const xml = `<Tenancies><Tenancy ref="T1">${deep}</Tenancy><Tenancy ref="T2"/></Tenancies>`;
    const items = await collect(readXml(utf8(xml), { ...opts, maxDepth: 5 }));
    expect(items).toEqual([
      { error: { position: { line: 1, index: 0 }, reason: 'too-deep: elements nest more than 5 deep in the record' } },
      { position: { line: 1, index: 1 }, fields: { '@ref': 'T2' }, raw: '<Tenancy ref="T2"/>' },
    ]);
  });

  it('refuses a record that is too large and reads the next', async () => {
    const big = '<Line>xxxxxxxxxx</Line>'.repeat(200);
    const xml = `<Tenancies>\n<Tenancy ref="T1">${big}</Tenancy>\n<Tenancy ref="T2"><Tenant/></Tenancy></Tenancies>`;
    const items = await collect(readXml(chunked(utf8(xml), 64), { ...opts, maxRecordSize: 1000 }));
    expect(items).toEqual([
      { error: { position: { line: 2, index: 0 }, reason: 'record-too-large: more than 1000 characters' } },
      { position: { line: 3, index: 1 }, fields: { '@ref': 'T2', Tenant: '' }, raw: '<Tenancy ref="T2"><Tenant/></Tenancy>' },
    ]);
  });

  it('reports a malformed record and goes on', async () => {
    const xml = '<Tenancies><Tenancy ref="T1"><A><B></A></B></Tenancy><Tenancy ref="T2"/></Tenancies>';
    const items = await collect(readXml(utf8(xml), opts));
    expect(items[0]).toEqual({ error: { position: { line: 1, index: 0 }, reason: expect.stringMatching(/^malformed-xml/) } });
    expect(fieldsOf(items)).toEqual([{ '@ref': 'T2' }]);
  });

  it('names what is malformed and where, never the text of the record', async () => {
    // An unescaped < or a stray word in a tag makes the parser take part of a value for a name: the reason must not repeat it.
    const records = [
      '<Tenancy ref="T1"><Tenant><Surname>O<Zzbrien</Surname></Surname></Tenant></Tenancy>',
      '<Tenancy ref="T2"><Tenant><Surname>Zzjo<hn Zzsmith/></Surname></Tenant></Tenancy>',
      '<Tenancy ref="T3"><Tenant><Zzsmith, Zzjohn/></Tenant></Tenancy>',
    ];
    for (const record of records) {
      const [item] = await collect(readXml(utf8(`<Tenancies>\n${record}\n</Tenancies>`), opts));
      const reason = item && 'error' in item ? item.error.reason : '';
      expect(reason).toMatch(/^malformed-xml: Invalid\w+ \(record line 1, column \d+\)$/);
      expect(reason).not.toMatch(/Zz/);
    }
  });

  it('reports a file cut off inside a record', async () => {
    const items = await collect(readXml(utf8('<Tenancies><Tenancy ref="T1"><A>'), opts));
    expect(items).toEqual([{ error: { position: { line: 1, index: 0 }, reason: 'truncated-xml: the file ends inside a record' } }]);
  });

  it('reports invalid UTF-8 in a record', async () => {
    const bytes = Buffer.concat([Buffer.from('<Tenancies><Tenancy ref="T1"><A>'), Buffer.from([0xff, 0xfe]), Buffer.from('</A></Tenancy><Tenancy ref="T2"/></Tenancies>')]);
    const items = await collect(readXml(bytes, opts));
    expect(items[0]).toEqual({ error: { position: { line: 1, index: 0 }, reason: expect.stringMatching(/^invalid-encoding/) } });
    expect(fieldsOf(items)).toEqual([{ '@ref': 'T2' }]);
  });
});
