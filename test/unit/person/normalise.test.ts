import { describe, expect, it } from 'vitest';
import { foldName, generationOf, normaliseForenames, normaliseSurname } from '../../../matching/person/normalise.js';

describe('name normalisation', () => {
  it('folds case and accents and drops apostrophes', () => {
    expect(foldName("Zoë O'Brien")).toBe('ZOE OBRIEN');
    expect(normaliseSurname("O'Brien")?.joined).toBe(normaliseSurname('OBRIEN')?.joined);
  });

  it('spells Mc, Mac and M apostrophe one way', () => {
    const forms = ['McDonald', 'MACDONALD', 'Mac Donald', 'Mc Donald', "M'Donald"].map((s) => normaliseSurname(s)?.joined);
    expect(new Set(forms)).toEqual(new Set(['MACDONALD']));
    expect(normaliseSurname('Machin')?.joined).toBe('MACHIN');
  });

  it('keeps hyphenated and double-barrelled surnames as one token and as parts', () => {
    expect(normaliseSurname('Smith-Jones')).toEqual({ joined: 'SMITHJONES', parts: ['SMITH', 'JONES'], generation: null });
    expect(normaliseSurname('Smith Jones')?.joined).toBe('SMITHJONES');
    expect(normaliseSurname('de la Cruz')).toEqual({ joined: 'DELACRUZ', parts: ['CRUZ'], generation: null });
  });

  it('takes generation suffixes off surnames and forenames', () => {
    expect(normaliseSurname('Smith Jnr')).toEqual({ joined: 'SMITH', parts: ['SMITH'], generation: 'JNR' });
    expect(normaliseSurname('Smith Sr.')?.generation).toBe('SNR');
    expect(generationOf(['John', 'Junior'])).toBe('JNR');
    expect(normaliseForenames(['John', 'Junior'])).toEqual(['JOHN']);
  });

  it('drops titles and the dots of initials from forenames', () => {
    expect(normaliseForenames(['Mr', 'J.', 'Anne-Marie'])).toEqual(['J', 'ANNE-MARIE']);
    expect(normaliseForenames(['Dr. Peter'])).toEqual(['PETER']);
  });
});
