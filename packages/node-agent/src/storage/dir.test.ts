import { storageConformance } from './conformance';

const measured: string[] = [];
afterAll(() => {
  if (measured.length) console.log(`storage measurements (dir):\n  ${measured.join('\n  ')}`);
});

storageConformance({ driver: 'dir', poolConfig: {}, report: (l) => { measured.push(l); } });
