"""Tiny BPMN documents built in tests (hostile and edge cases); no layout needed for the engine."""

from __future__ import annotations

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://x">\n')


def process(body: str, pid: str = "p") -> str:
    """A definitions document with one executable process holding ``body``."""
    return f'{HEAD}<bpmn:process id="{pid}" isExecutable="true">{body}</bpmn:process></bpmn:definitions>'


def linear(task: str, pid: str = "p") -> str:
    """start -> (one element, given as XML with id 't') -> end."""
    return process(
        '<bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        f'{task}'
        '<bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>', pid)


def user_task(extra: str = 'camunda:formRef="demo_note" camunda:candidateGroups="front_door"', inner: str = "") -> str:
    """A user task with id 't'."""
    return (f'<bpmn:userTask id="t" name="Do it" {extra}><bpmn:incoming>f1</bpmn:incoming>'
            f'<bpmn:outgoing>f2</bpmn:outgoing>{inner}</bpmn:userTask>')
