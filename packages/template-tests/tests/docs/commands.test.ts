import { readmeCommands, shape, splitComment } from './commands';

const fence = '```';

describe('reading commands out of the README', () => {
  it('takes every line of a bash block, joining continuations and dropping comments', () => {
    const readme = [
      'Some prose with `npm nope` in it.',
      `${fence}bash`,
      'npm start   # the main job',
      '',
      'npx sls deploy --stage dev \\',
      '  --param "targetAccountIds=1#2"   # quoted # is not a comment',
      fence,
    ].join('\n');
    expect(readmeCommands(readme)).toEqual([
      { text: 'npm start', comment: 'the main job', line: 3 },
      {
        text: 'npx sls deploy --stage dev --param "targetAccountIds=1#2"',
        comment: 'quoted # is not a comment',
        line: 5,
      },
    ]);
  });

  it('takes a text block that opens with `$ command` as the command and the output it shows', () => {
    const readme = [`${fence}text`, '$ npm run check   # exits 1', 'All 3 cases match', fence].join(
      '\n',
    );
    expect(readmeCommands(readme)).toEqual([
      { text: 'npm run check', comment: 'exits 1', line: 2, shownOutput: ['All 3 cases match'] },
    ]);
  });

  it('ignores text blocks that are not a command, and other languages', () => {
    const readme = [`${fence}text`, 'plain output', fence, `${fence}yaml`, 'a: 1', fence].join(
      '\n',
    );
    expect(readmeCommands(readme)).toEqual([]);
  });

  it('keeps a # inside single quotes, and one that starts a word only', () => {
    expect(splitComment(`npx sls invoke --data '{"a":"#b"}' # c`)).toEqual({
      code: `npx sls invoke --data '{"a":"#b"}'`,
      comment: 'c',
    });
    expect(splitComment('echo a#b')).toEqual({ code: 'echo a#b', comment: '' });
  });
});

describe('the shape of output', () => {
  it('ignores numbers, ids and layout, but not words', () => {
    expect(shape('took 12.5 ms  for 3 keys\n')).toBe(shape('took 7 ms for 10 keys'));
    expect(shape('id 123e4567-e89b-12d3-a456-426614174000')).toBe(shape('id UUID'));
    expect(shape('All 15 cases match')).not.toBe(shape('All 15 cases differ'));
  });
});
