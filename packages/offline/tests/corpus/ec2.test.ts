// EC2 (its own query protocol): DescribeInstances, paginated, in every target region. It acts on no
// resource type, so AWS matches it only against "*": a grant scoped to instances never matches.
import { describeCorpusJob } from './harness';

describeCorpusJob(
  'EC2: list instances over regions, page by page (examples/describeInstances.ts)',
  {
    module: 'examples/describeInstances.ts',
    exportName: 'describeInstances',
    params: { targetRegions: 'us-east-1,eu-west-1' },
    targets: 2,
    statements: `
              - Sid: DescribeInstances
                Effect: Allow
                Action: ec2:DescribeInstances
                Resource: '*'`,
    excess: 'ec2:DescribeRegions',
    nearMisses: [
      {
        what: 'a grant scoped to instances, for an action AWS matches only against "*"',
        edit: (statements) =>
          statements.replace(
            "Resource: '*'",
            "Resource: !Sub 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/*'",
          ),
        says: /NEVER MATCHES: ec2:DescribeInstances on arn:aws:ec2:us-east-1:222222222222:instance\/\* .*grant it on "\*"/,
      },
    ],
    answer: {
      instances: [
        { id: 'i-0000000000000000a', type: 't4g.micro', state: 'running' },
        { id: 'i-0000000000000000b', type: 'm7g.large', state: 'running' },
        { id: 'i-0000000000000000c', type: 't4g.small', state: 'stopped' },
      ],
    },
    deniedCode: 'UnauthorizedOperation',
  },
);
