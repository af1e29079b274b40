// Python float repr, banker's rounding and round(x, n) parity.
import t from 'tap';
import { pyFloatKey, pyRound, roundHalfEven } from '../../lib/metadata/python-format.js';

t.test('pyFloatKey formats like Python str(float)', async (t) => {
  t.equal(pyFloatKey(1), '1.0');
  t.equal(pyFloatKey(1.75), '1.75');
  t.equal(pyFloatKey(0.56), '0.56');
  t.equal(pyFloatKey(2), '2.0');
  t.equal(pyFloatKey(0.0001), '0.0001');
  t.equal(pyFloatKey(0.00001), '1e-05');
  t.equal(pyFloatKey(1e16), '1e+16');
  t.equal(pyFloatKey(123456789012345.0), '123456789012345.0');
  t.equal(pyFloatKey(0), '0.0');
});

t.test('roundHalfEven is Python round()', async (t) => {
  t.equal(roundHalfEven(1.5), 2);
  t.equal(roundHalfEven(2.5), 2);
  t.equal(roundHalfEven(-2.5), -2);
  t.equal(roundHalfEven(3.5), 4);
  t.equal(roundHalfEven(2.4999), 2);
  t.equal(roundHalfEven(2.51), 3);
});

t.test('pyRound is Python round(x, n)', async (t) => {
  t.equal(pyRound(2.675, 2), 2.67, 'binary 2.675 is below the tie');
  t.equal(pyRound(0.125, 2), 0.12, 'exact tie goes to even');
  t.equal(pyRound(0.375, 2), 0.38, 'exact tie goes to even (up)');
  t.equal(pyRound(1920 / 1080, 2), 1.78);
  t.equal(pyRound(1080 / 1920, 2), 0.56);
  t.equal(pyRound(1.005, 2), 1.0, '1.005 is stored below the tie');
  t.equal(pyRound(-0.125, 2), -0.12);
  t.equal(pyRound(2.5, 0), 2);
  t.equal(pyRound(1344 / 1024, 2), 1.31);
});
