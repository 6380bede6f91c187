import * as ss from 'simple-statistics';
const want = ['mean','sum','median','quantile','quantileSorted','interquartileRange','medianAbsoluteDeviation','standardDeviation','sampleStandardDeviation','variance','sampleVariance','min','max','linearRegression','linearRegressionLine','probit','cumulativeStdNormalProbability','sumSimple','meanSimple','mode','rootMeanSquare','sampleCorrelation','tTest','errorFunction','inverseErrorFunction'];
console.log(want.map(n => `${n}:${typeof ss[n] === 'function' ? 'yes' : 'NO'}`).join(' '));
console.log('mean([])', (() => { try { return ss.mean([]); } catch (e) { return 'throws: ' + e.message; } })());
console.log('quantile([1,2,3,4],0.25)', ss.quantile([1,2,3,4], 0.25), 'quantile(x,[.025,.975])', ss.quantile([1,2,3,4,5,6,7,8,9,10],[0.025,0.975]));
console.log('probit(0.975)', ss.probit(0.975), 'sqrt2*erfinv(0.95)', Math.SQRT2*ss.inverseErrorFunction(0.95));
console.log('rootMeanSquare([3,4])', ss.rootMeanSquare([3,4]), 'sum([0.1,0.2,0.3])', ss.sum([0.1,0.2,0.3]));
