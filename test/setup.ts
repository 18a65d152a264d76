import nock from 'nock';

/** Root hooks: no test may reach beyond loopback, and nock is reset between tests. */
export const mochaHooks = {
  beforeAll() {
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
  },
  afterEach() {
    nock.cleanAll();
  },
  afterAll() {
    nock.enableNetConnect();
    nock.restore();
  },
};
