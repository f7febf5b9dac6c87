export type { IdentifierCheck } from './result.js';
export { validateNhsNumber } from './nhs.js';
export { validateNino, ninoCore } from './nino.js';
export { validatePhone } from './phone.js';
export { validateEmail } from './email.js';
export { validateDob, isCalendarDate } from './dob.js';
