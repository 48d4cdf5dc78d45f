import { seededRandom } from '../linear/train-sparse-linear.js';
import type { TrainingRecord } from '../records/training-record.js';

/** The synthetic pool, cheapest first. */
export const SYNTHETIC_POOL = ['cheap', 'ref', 'mid', 'top'] as const;
const COSTS: Record<(typeof SYNTHETIC_POOL)[number], number> = { cheap: 0.0001, ref: 0.0002, mid: 0.001, top: 0.01 };

/**
 * Recorded responses of a four-model pool to prompts of two categories, with a structure a router can
 * learn: in `math`, `cheap` is right on easy prompts ("add …") and wrong on hard ones ("prove …"), and
 * `ref` agrees with it exactly when it is right; `top` is right 95 % of the time; `mid` 70 %. In `trivia`
 * every model but `mid` is right 90 % of the time and wrong answers differ. Answers are letters
 * (answer type `choice`); a wrong answer is another letter than the right one.
 */
export function syntheticRecords(count: number, seed = 1): TrainingRecord[] {
  const random = seededRandom(seed);
  const letters = ['A', 'B', 'C', 'D'];
  return Array.from({ length: count }, (_, index) => {
    const category = index % 2 === 0 ? 'math' : 'trivia';
    const hard = category === 'math' && random() < 0.4;
    const right = letters[Math.floor(random() * 4)] as string;
    const wrong = (offset: number) => letters[(letters.indexOf(right) + offset) % 4] as string;
    const correct: Record<string, boolean> = {};
    if (category === 'math') {
      correct.cheap = !hard;
      correct.ref = !hard;
      correct.mid = random() < 0.7;
      correct.top = random() < 0.95;
    } else {
      for (const model of SYNTHETIC_POOL) correct[model] = random() < (model === 'mid' ? 0.5 : 0.9);
    }
    const answers: Record<string, string> = {
      cheap: correct.cheap ? right : wrong(1),
      // On hard math, ref is wrong in another way than cheap: they disagree exactly when cheap is wrong.
      ref: correct.ref ? right : wrong(category === 'math' ? 2 : 1 + Math.floor(random() * 3)),
      mid: correct.mid ? right : wrong(1 + Math.floor(random() * 3)),
      top: correct.top ? right : wrong(1 + Math.floor(random() * 3)),
    };
    const topic = category === 'math' ? (hard ? 'prove the lemma about' : 'add the numbers of') : 'name the river of';
    const prompt = `${topic} item ${index}?\nA) one\nB) two\nC) three\nD) four\nAnswer:`;
    return {
      id: `synthetic/${index}`,
      prompt,
      category,
      answerType: 'choice',
      responses: Object.fromEntries(
        SYNTHETIC_POOL.map((model) => [
          model,
          { text: `The answer is (${answers[model]})`, correct: correct[model] === true, costUsd: COSTS[model] },
        ]),
      ),
    };
  });
}
