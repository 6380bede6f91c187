// The few jStat functions Resultant uses (jstat ships no type declarations).
declare module 'jstat' {
  interface JStat {
    studentt: { cdf(x: number, dof: number): number };
    normal: { cdf(x: number, mean: number, sd: number): number };
  }
  const jStat: JStat;
  export default jStat;
}
