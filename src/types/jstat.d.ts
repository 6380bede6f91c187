// The few jStat functions Resultant uses (jstat ships no type declarations).
declare module 'jstat' {
  interface JStat {
    studentt: { cdf(x: number, dof: number): number };
    normal: { cdf(x: number, mean: number, sd: number): number; inv(p: number, mean: number, sd: number): number };
    /** ln Γ(x) (Lanczos). */
    gammaln(x: number): number;
    /** Regularised incomplete beta function I_x(a, b). */
    ibeta(x: number, a: number, b: number): number;
  }
  const jStat: JStat;
  export default jStat;
}
