import { describe, expect, it } from 'vitest';
import { splitName } from '../../../adapters/mapping/names.js';

describe('splitName', () => {
  it.each([
    ['MR JOHN A SMITH', { title: 'MR', forenames: ['JOHN', 'A'], surname: 'SMITH', suffix: null }],
    ['SMITH, JOHN', { title: null, forenames: ['JOHN'], surname: 'SMITH', suffix: null }],
    ["MRS MARY-JANE O'NEILL-BROWN", { title: 'MRS', forenames: ['MARY-JANE'], surname: "O'NEILL-BROWN", suffix: null }],
    ['DR A B JONES JNR', { title: 'DR', forenames: ['A', 'B'], surname: 'JONES', suffix: 'JNR' }],
    ['SMITH, MR JOHN A', { title: 'MR', forenames: ['JOHN', 'A'], surname: 'SMITH', suffix: null }],
    ['SMITH, JOHN MR', { title: 'MR', forenames: ['JOHN'], surname: 'SMITH', suffix: null }],
    ['SMITH JNR, JOHN', { title: null, forenames: ['JOHN'], surname: 'SMITH', suffix: 'JNR' }],
    ['Mr. J. R. Hartley Jr.', { title: 'MR', forenames: ['J', 'R'], surname: 'Hartley', suffix: 'JNR' }],
    ['REV DR ANN WEST', { title: 'REV DR', forenames: ['ANN'], surname: 'WEST', suffix: null }],
    ['JUAN DE LA CRUZ', { title: null, forenames: ['JUAN'], surname: 'DE LA CRUZ', suffix: null }],
    ['  MS   ZOE   PATEL  ', { title: 'MS', forenames: ['ZOE'], surname: 'PATEL', suffix: null }],
    ['PATEL', { title: null, forenames: [], surname: 'PATEL', suffix: null }],
    ['MR SMITH', { title: 'MR', forenames: [], surname: 'SMITH', suffix: null }],
  ])('%s', (raw, expected) => {
    expect(splitName(raw)).toEqual(expected);
  });

  it('reads surname-first names without a comma when told to', () => {
    expect(splitName('SMITH JOHN A', 'surname-first')).toEqual({ title: null, forenames: ['JOHN', 'A'], surname: 'SMITH', suffix: null });
  });

  it('finds no surname in an empty string or a lone title', () => {
    expect(splitName('   ')).toBeNull();
    expect(splitName('MRS')).toBeNull();
    expect(splitName(', JOHN')).toBeNull();
  });
});
