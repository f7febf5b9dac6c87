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

  describe('a malformed record among good ones', () => {
    const tenancy = (n: number, tenant = `<Forename>ANN</Forename><Surname>ZZLEE</Surname>`) =>
      `  <Tenancy ref="T${n}" status="current">\n    <Tenant>${tenant}</Tenant>\n  </Tenancy>\n`;
    const file = (broken: string, at = 2) =>
      `<?xml version="1.0"?>\n<Tenancies>\n${[1, 2, 3, 4, 5, 6, 7].map((n) => (n === at ? broken : tenancy(n))).join('')}</Tenancies>\n`;
    const refsOf = (items: ReadItem[]) => fieldsOf(items).map((f) => f['@ref']);
    const read = async (xml: string) => {
      const items = await collect(readXml(chunked(utf8(xml), 5), opts));
      // Every item is one record read, in order; none is told twice or skipped.
      expect(items.map((i) => ('error' in i ? i.error.position.index : i.position.index))).toEqual(items.map((_, i) => i));
      return items;
    };

    it('rejects a record with an unescaped < in a value alone, and reads every record after it', async () => {
      const items = await read(file(tenancy(2, '<Forename>ANN</Forename><Surname>O<ZZBRIEN</Surname>')));
      expect(refsOf(items)).toEqual(['T1', 'T3', 'T4', 'T5', 'T6', 'T7']);
      expect(items[1]).toEqual({ error: { position: { line: 6, index: 1 }, reason: expect.stringMatching(/^malformed-xml: Invalid\w+ \(record line 2, column \d+\)$/) } });
      expect(items[2]).toMatchObject({ position: { line: 9, index: 2 } });
      expect(JSON.stringify(items[1])).not.toMatch(/ZZ/);
    });

    it('rejects a record with a start tag never closed (ANN<Middle>X) alone', async () => {
      const items = await read(file(tenancy(2, '<Forename>ANN<Middle>X</Forename><Surname>ZZLEE</Surname>')));
      expect(refsOf(items)).toEqual(['T1', 'T3', 'T4', 'T5', 'T6', 'T7']);
      expect(items[1]).toEqual({ error: { position: { line: 6, index: 1 }, reason: expect.stringMatching(/^malformed-xml: InvalidTag \(record line 2, column \d+\)$/) } });
    });

    it('ends a record never closed where the next record starts, or where the records end', async () => {
      const unclosed = '  <Tenancy ref="T2">\n    <Tenant><Forename>ANN</Forename><Surname>ZZLEE</Surname></Tenant>\n';
      const items = await read(file(unclosed));
      expect(refsOf(items)).toEqual(['T1', 'T3', 'T4', 'T5', 'T6', 'T7']);
      expect(items[1]).toEqual({ error: { position: { line: 6, index: 1 }, reason: 'malformed-xml: <Tenancy> is not closed before the next <Tenancy>' } });
      expect(items[2]).toMatchObject({ position: { line: 8, index: 2 } });
      const last = await read(file(unclosed, 7));
      expect(refsOf(last)).toEqual(['T1', 'T2', 'T3', 'T4', 'T5', 'T6']);
      expect(last[6]).toEqual({ error: { position: { line: 21, index: 6 }, reason: 'malformed-xml: <Tenancy> is not closed before </Tenancies>' } });
    });

    it('rejects a record whose start tag is broken (a quote never closed) and reads on', async () => {
      const items = await read(file('  <Tenancy ref="T2 status="current">\n    <Tenant><Surname>ZZLEE</Surname></Tenant>\n  </Tenancy>\n'));
      expect(refsOf(items)).toEqual(['T1', 'T3', 'T4', 'T5', 'T6', 'T7']);
      expect(items[1]).toMatchObject({ error: { position: { line: 6, index: 1 }, reason: expect.stringMatching(/^malformed-xml: /) } });
    });

    it('rejects text among the records that starts no tag, as one item', async () => {
      const items = await read(file(`${tenancy(2)}  O<ZZBRIEN\n`));
      expect(refsOf(items)).toEqual(['T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7']);
      expect(items[2]).toEqual({ error: { position: { line: 9, index: 2 }, reason: "malformed-xml: broken markup (a '<' that starts no tag) among the <Tenancy> records" } });
    });

    it('still refuses a declaration anywhere, whole file', async () => {
      const items = await read(file(tenancy(2, '<Surname>O<!ENTITY x "y"></Surname>')));
      expect(items.at(-1)).toEqual({ error: { position: { line: 6, index: 1 }, reason: HOSTILE_XML } });
      expect(items).toHaveLength(2);
    });
  });

  describe('references', () => {
    const one = async (record: string) => collect(readXml(utf8(`<Tenancies><Tenancy ref="T1">${record}</Tenancy></Tenancies>`), opts));

    it('decodes decimal and hex character references in text and attributes, once', async () => {
      const items = await one('<Forename>REN&#201;E</Forename><Surname a="ZO&#xCB;">O&#39;BRIEN</Surname><Line>12 ST MARY&#39;S ROAD &#x1F3E0;</Line>'
        + '<Note>&amp;#39; &lt;&gt;&quot;&apos; &#9;x</Note><Kept><![CDATA[&#39; &amp;]]></Kept>');
      expect(fieldsOf(items)).toEqual([{
        '@ref': 'T1',
        Forename: 'RENÉE',
        Surname: { '#text': "O'BRIEN", '@a': 'ZOË' },
        Line: "12 ST MARY'S ROAD \u{1F3E0}",
        Note: '&#39; <>"\' \tx',
        Kept: '&#39; &amp;',
      }]);
    });

    it('decodes a reference to NUL, for the mapping to reject its field', async () => {
      expect(fieldsOf(await one('<Surname>X&#x0;Y&#00;</Surname>'))).toEqual([{ '@ref': 'T1', Surname: 'X\u0000Y\u0000' }]);
    });

    it('rejects a record with a reference to a character XML does not allow, or to an entity, and reads the next', async () => {
      const cases: [string, string][] = [
        ['X&#1;Y', 'a character reference to U+0001, which XML does not allow'],
        ['X&#x1B;Y', 'a character reference to U+001B, which XML does not allow'],
        ['&#xD800;', 'a character reference to U+D800, which XML does not allow'],
        ['&#xFFFF;', 'a character reference to U+FFFF, which XML does not allow'],
        ['&#1114112;', 'a character reference to a code point beyond U+10FFFF, which XML does not allow'],
        ['&#99999999999999999999999;', 'a character reference to a code point beyond U+10FFFF, which XML does not allow'],
        ['&#x;', 'a character reference that is not &#digits; or &#xhex;'],
        ['REN&eacute;E', 'an entity reference other than &amp; &lt; &gt; &quot; &apos; (entities are not expanded)'],
      ];
      for (const [text, reason] of cases) {
        const items = await collect(readXml(utf8(`<Tenancies>\n<Tenancy ref="T1"><Surname>${text}</Surname></Tenancy>\n<Tenancy ref="T2"/></Tenancies>`), opts));
        expect(items, text).toEqual([
          { error: { position: { line: 2, index: 0 }, reason: `malformed-xml: ${reason}` } },
          { position: { line: 3, index: 1 }, fields: { '@ref': 'T2' }, raw: '<Tenancy ref="T2"/>' },
        ]);
      }
      expect(await one('<Surname a="&#X41;">X</Surname>')).toEqual([{ error: { position: { line: 1, index: 0 }, reason: 'malformed-xml: a character reference that is not &#digits; or &#xhex;' } }]);
    });
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
